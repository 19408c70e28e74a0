"""The Flex Template launcher's entry file: `newswire run` with the template's parameters."""

import sys

from newswire.pipeline.flex_template import main

if __name__ == "__main__":
    sys.exit(main())
