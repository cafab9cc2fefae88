"""Sentence splitting with character offsets (syntok) and text normalisation."""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences", "normalize"]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: ``text == source[start:end]``."""

    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with character offsets into ``text``.

    Uses syntok, which copes with stray periods and quotes in news copy.
    Sentences that hold only punctuation (e.g. a lone ".") are dropped.
    """
    from syntok import segmenter

    sentences: list[Sentence] = []
    for paragraph in segmenter.analyze(text):
        for tokens in paragraph:
            if not tokens:
                continue
            start = tokens[0].offset
            end = tokens[-1].offset + len(tokens[-1].value)
            chunk = text[start:end]
            if not any(ch.isalnum() for ch in chunk):
                continue
            sentences.append(Sentence(start, end, chunk))
    return sentences


_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-", "\u2013": "-"})


def normalize(text: str) -> str:
    """Lower-case, NFKC, straight quotes and single spaces: the key for duplicate checks."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _SPACE.sub(" ", text).strip()


def _main(argv: list[str]) -> int:
    """``python -m stance.text FILE``: print ``position<TAB>text`` for each sentence."""
    for path in argv:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        for i, sent in enumerate(split_sentences(source)):
            print(f"{i}\t{sent.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
