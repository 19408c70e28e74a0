"""Credits: photo credits at the end of captions, and closing credits lines."""

from __future__ import annotations

import pytest

from newswire.schemas.credits import (
    is_photo_credit,
    join_caption,
    parse_credits_line,
    split_caption,
)


@pytest.mark.parametrize(("line", "caption", "credit"), [
    ("A man walks past the bank in Lakeport. REUTERS/Jane Doe",
     "A man walks past the bank in Lakeport.", "REUTERS/Jane Doe"),
    ("Soldiers line up in Simferopol, Crimea, April 25, 2023. REUTERS/Alexey Pavlishak/File Photo",
     "Soldiers line up in Simferopol, Crimea, April 25, 2023.",
     "REUTERS/Alexey Pavlishak/File Photo"),
    ("Crews work on the ramp on Sunday. (AP Photo/Gloria Alvarado)",
     "Crews work on the ramp on Sunday.", "(AP Photo/Gloria Alvarado)"),
    ("A man walks past the bank. Photo: Jonas Keller/Meridian Wire",
     "A man walks past the bank.", "Photo: Jonas Keller/Meridian Wire"),
    ("Fans cheer in the stands. Jane Doe/AFP via Getty Images",
     "Fans cheer in the stands.", "Jane Doe/AFP via Getty Images"),
    ("Dark clouds over the breakwater. Lena Morgenstern/Getty Images",
     "Dark clouds over the breakwater.", "Lena Morgenstern/Getty Images"),
    ("Fans cheer in the stands. Getty Images", "Fans cheer in the stands.", "Getty Images"),
    ("The president speaks. EPA-EFE/JIM LO SCALZO", "The president speaks.",
     "EPA-EFE/JIM LO SCALZO"),
    ("Protesters march in Paris on May 1. AFP", "Protesters march in Paris on May 1.", "AFP"),
    ("A view of the city. (Photo by Jane Doe/Getty Images)", "A view of the city.",
     "(Photo by Jane Doe/Getty Images)"),
    ("The U.S. flag flies over the Capitol. REUTERS/Kevin Lamarque",
     "The U.S. flag flies over the Capitol.", "REUTERS/Kevin Lamarque"),
    ("REUTERS/Jane Doe", "", "REUTERS/Jane Doe"),
    ("Fans cheer in the stands. Jane Doe, AFP via Getty Images", "Fans cheer in the stands.",
     "Jane Doe, AFP via Getty Images"),
    ("The president speaks. Jane Doe/Pool via REUTERS", "The president speaks.",
     "Jane Doe/Pool via REUTERS"),
    ("Fans cheer. They came via AP", "Fans cheer. They came via AP", ""),
    ("Fans cheer in Paris. They left at 5 p.m.", "Fans cheer in Paris. They left at 5 p.m.", ""),
])
def test_split_caption(line: str, caption: str, credit: str) -> None:
    assert split_caption(line) == (caption, credit)
    assert join_caption(caption, credit) == line


@pytest.mark.parametrize("text", ["Officials said. Reuters reported", "Getty Images said on Monday",
                                  "A photo of the harbor", ""])
def test_not_photo_credits(text: str) -> None:
    assert not is_photo_credit(text)


@pytest.mark.parametrize(("line", "roles"), [
    ("Reporting by Steve Holland and Jeff Mason; Additional reporting by Ronald Popeski; "
     "Editing by Daniel Wallis",
     {"reporting": ("Steve Holland", "Jeff Mason"), "additional_reporting": ("Ronald Popeski",),
      "editing": ("Daniel Wallis",)}),
    ("(Reporting by Amara Mensah in Accra and Felix Hartigan in London; Editing by Paula Sorensen)",
     {"reporting": ("Amara Mensah", "Felix Hartigan"), "editing": ("Paula Sorensen",)}),
    ("Reporting by Ana Ruiz; Writing by Tom Becker; Editing by Mark Delaney and Ann Lee.",
     {"reporting": ("Ana Ruiz",), "writing": ("Tom Becker",),
      "editing": ("Mark Delaney", "Ann Lee")}),
    ("Writing by Chen Wei-lin; editing by Louise Farrant",
     {"writing": ("Chen Wei-lin",), "editing": ("Louise Farrant",)}),
    ("Reporting by Jane Doe. Editing by John Roe",
     {"reporting": ("Jane Doe",), "editing": ("John Roe",)}),
    ("Reporting by Jane Doe, editing by John Roe",
     {"reporting": ("Jane Doe",), "editing": ("John Roe",)}),
    ("Reporting by the Beijing newsroom; Editing by Ann Lee",
     {"reporting": ("the Beijing newsroom",), "editing": ("Ann Lee",)}),
    ("Compiled by Asia Desk -- Edited by John Roe",
     {"writing": ("Asia Desk",), "editing": ("John Roe",)}),
])
def test_credits_lines(line: str, roles: dict[str, tuple[str, ...]]) -> None:
    credits = parse_credits_line(line)
    assert credits is not None
    assert credits.raw == line
    for role in ("reporting", "additional_reporting", "writing", "editing"):
        assert getattr(credits, role) == roles.get(role, ())


@pytest.mark.parametrize("line", [
    "By Jane Doe",
    "Editing by machine learning is getting better, researchers say.",
    "The plan was reported by the Times; editing by hand took weeks",
    "Reporting by",
    "",
])
def test_not_credits_lines(line: str) -> None:
    assert parse_credits_line(line) is None
