package newswire.analysis;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The four analysis components that Elasticsearch's security index declares in its settings
 * (tokenizer uax_url_email; filters pattern_capture, lowercase, unique).
 *
 * Elasticsearch ships them in its analysis-common module, which the integration-test
 * distribution leaves out; without them the security index cannot be created, and so neither
 * can API keys. Each one wraps the same Lucene class, with the same settings, as the module's.
 */
public final class SecurityAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", (index, env, name, settings) -> new Filter(name, LowerCaseFilter::new, true),
            "unique", (index, env, name, settings) -> unique(name, settings),
            "pattern_capture",
            AnalysisPlugin.requiresAnalysisSettings((index, env, name, settings) -> patternCapture(name, settings)));
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email", (index, env, name, settings) -> {
            int maxTokenLength = settings.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return TokenizerFactory.newFactory(name, () -> {
                UAX29URLEmailTokenizer tokenizer = new UAX29URLEmailTokenizer();
                tokenizer.setMaxTokenLength(maxTokenLength);
                return tokenizer;
            });
        });
    }

    private static Filter unique(String name, Settings settings) {
        boolean onlyOnSamePosition = settings.getAsBoolean("only_on_same_position", false);
        return new Filter(name, input -> new UniqueTokenFilter(input, onlyOnSamePosition), false);
    }

    private static Filter patternCapture(String name, Settings settings) {
        List<String> regexes = settings.getAsList("patterns");
        if (regexes.isEmpty()) {
            throw new IllegalArgumentException("filter [" + name + "] of type pattern_capture needs [patterns]");
        }
        Pattern[] patterns = regexes.stream().map(Pattern::compile).toArray(Pattern[]::new);
        boolean preserveOriginal = settings.getAsBoolean("preserve_original", true);
        return new Filter(name, input -> new PatternCaptureGroupTokenFilter(input, preserveOriginal, patterns), false);
    }

    /** A token filter factory that wraps the stream; `normalizes` if it also applies to keywords. */
    private record Filter(String name, UnaryOperator<TokenStream> wrap, boolean normalizes)
            implements TokenFilterFactory {

        @Override
        public TokenStream create(TokenStream input) {
            return wrap.apply(input);
        }

        @Override
        public TokenStream normalize(TokenStream input) {
            return normalizes ? wrap.apply(input) : input;
        }
    }

    /** Drops a term seen before in the stream (or, with onlyOnSamePosition, at the same position). */
    private static final class UniqueTokenFilter extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute increment = addAttribute(PositionIncrementAttribute.class);
        private final CharArraySet seen = new CharArraySet(8, false);
        private final boolean onlyOnSamePosition;

        UniqueTokenFilter(TokenStream input, boolean onlyOnSamePosition) {
            super(input);
            this.onlyOnSamePosition = onlyOnSamePosition;
        }

        @Override
        public boolean incrementToken() throws IOException {
            while (input.incrementToken()) {
                if (onlyOnSamePosition && increment.getPositionIncrement() > 0) {
                    seen.clear();
                }
                if (!seen.contains(term.buffer(), 0, term.length())) {
                    seen.add(term.toString());
                    return true;
                }
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }
}
