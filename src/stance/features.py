"""Feature pieces of the pipeline: word n-grams, cue-tag sequences and cue counts.

Word n-grams learn topic wording; they carry poorly to news on other topics. The cue pieces map
words onto a small set of stance cues (denial verbs, falsity terms, accusation verbs, wrongful
acts, hedges, attribution, negation, first person, refusals, report nouns, ...) so that what is
learnt about "denied the report" carries to "rejected the claims" on any topic.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["CUE_GROUPS", "tokenize", "cue_tag", "cue_sequence", "CueCounts"]

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?|[\"\u201c\u201d\u2018\u2019'\u00ab\u00bb]|[,;:()?!\u2014-]")

# Each group: exact words and word prefixes (prefix entries end with "*").
CUE_GROUPS: dict[str, tuple[str, ...]] = {
    "DENY": ("deny", "denies", "denied", "denying", "denial*", "dismiss*", "reject*", "refut*", "rebut*",
             "disput*", "disavow*", "repudiat*", "rubbished", "debunk*", "contradict*", "insist*",
             "scoff*", "brush*", "laughed", "retract*", "disown*", "disclaim*"),
    "FALSE": ("false*", "fake*", "hoax*", "baseless", "unfounded", "groundless", "fabricat*", "untrue",
              "nonsense", "rumour*", "rumor*", "myth*", "absurd*", "ridiculous", "fiction*", "invent*",
              "smear*", "slander*", "misinformation", "disinformation", "doctored", "bogus", "lies",
              "rubbish", "fantasy", "fantasies", "concoct*", "speculation", "misleading", "inaccurate",
              "wrong", "wrongly", "erroneous*", "mistaken*", "satire", "satirical", "photoshop*",
              "edited", "manipulated", "debunk*", "nothing", "neither", "utter*", "pure", "purely",
              "categorically", "totally", "entirely", "completely", "absolutely", "sheer"),
    "ACCUSE": ("accus*", "blam*", "alleg*", "charg*", "condemn*", "implicat*", "indict*", "convict*",
               "responsib*", "culprit*", "perpetrat*", "orchestrat*", "behind", "sponsor*", "violat*",
               "guilty", "suspect*", "arrest*", "lying", "lied", "liar*", "denounc*", "decr*", "slam*",
               "fault*", "complicit*", "culpab*", "prosecut*", "sued", "sues", "lawsuit*", "sentenc*",
               "jailed", "fined", "breach*", "illegal*", "unlawful*", "illicit*", "cover*", "covered",
               "conveniently", "so-called", "masterminded", "mastermind*", "bankroll*", "funnel*",
               "aimed", "ploy", "scheme*", "plot*", "cynical*", "deliberately", "target*"),
    "WRONG": ("kill*", "murder*", "attack*", "bomb*", "shell*", "tortur*", "abus*", "steal*", "stole*",
              "fraud*", "brib*", "kidnap*", "abduct*", "rap*", "assault*", "smuggl*", "hack*", "spy*",
              "spied", "spies", "espionage", "corrupt*", "launder*", "terror*", "massacre*", "atrocit*",
              "crime*", "criminal*", "genocide", "persecut*", "violen*", "embezzl*", "trafficking",
              "shot", "shoot*", "stabb*", "dop*", "cheat*", "manipulat*", "interfer*", "meddl*",
              "invad*", "invasion", "strike*", "airstrike*", "missile*", "weapon*", "arms", "sanction*",
              "poison*", "harass*", "intimidat*", "discriminat*", "theft", "looted", "loot*", "raid*",
              "detain*", "detention", "jail*", "prison*", "misconduct", "negligen*", "mislead*",
              "deceiv*", "deception", "cyberattack*", "sabotag*", "leak*", "exploit*", "threat*"),
    "HEDGE": ("allegedly", "reportedly", "purportedly", "supposedly", "apparently", "suspected",
              "possibly", "likely", "may", "might", "could", "would", "believed", "appears", "seemed",
              "seems", "if", "whether", "unclear", "unconfirmed", "rumoured", "rumored"),
    "ATTR": ("said", "says", "say", "saying", "told", "tell", "according", "stated", "states",
             "claimed", "claims", "claim", "added", "alleged", "announced", "wrote", "tweeted",
             "posted", "reported", "reports", "report", "quoted", "statement", "spokesman",
             "spokeswoman", "spokesperson", "officials", "official", "ministry", "sources", "source",
             "police", "prosecutors", "prosecutor", "witnesses", "argued", "asserted", "explained"),
    "NEG": ("not", "no", "never", "n't", "none", "nor", "without", "nobody", "cannot", "didn't",
            "don't", "doesn't", "isn't", "wasn't", "weren't", "hasn't", "haven't", "hadn't", "won't",
            "couldn't", "wouldn't", "aren't", "neither"),
    "FIRST": ("i", "we", "me", "us", "our", "my", "ours", "myself", "ourselves", "i've", "we've",
              "i'm", "we're", "i'd", "we'd"),
    "REFUSE": ("declin*", "refus*", "comment*", "confirm*", "unavailable", "respond*", "reply",
               "replied", "reached"),
    "CLAIMN": ("report*", "claim*", "allegation*", "accusation*", "story", "stories", "assertion*",
               "suggestion*", "news", "article*", "account*", "video*", "photo*", "image*", "post*",
               "tweet*", "charges", "narrative*", "version", "theory", "theories"),
    "INNOC": ("innocent*", "acquit*", "cleared", "exonerat*", "wrongdoing", "evidence", "proof",
              "legitimate", "legal", "lawful", "routine", "merely", "only", "actually", "fact", "facts",
              "truth", "true", "real", "genuine", "plead*", "pleaded", "appeal*", "overturn*"),
    "QUOTE": ("\"", "\u201c", "\u201d", "\u00ab", "\u00bb"),
    "CONDEMN": ("condemn*", "denounc*", "decr*", "deplor*", "outrage*", "shameful", "disgrace*",
                "criminal", "barbar*", "heinous", "hypocri*", "hostile", "aggression", "aggressor*",
                "provocat*", "reckless"),
}
GROUP_NAMES: tuple[str, ...] = tuple(CUE_GROUPS)


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens."""
    return [t.lower().replace("\u2019", "'") for t in _TOKEN.findall(text)]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    exact: dict[str, list[str]] = {}
    prefixes: list[tuple[str, str]] = []
    for group, words in CUE_GROUPS.items():
        for w in words:
            if w.endswith("*"):
                prefixes.append((w[:-1], group))
            else:
                exact.setdefault(w, []).append(group)
    return exact, prefixes


@lru_cache(maxsize=65536)
def cue_tag(token: str) -> tuple[str, ...]:
    """The cue groups a (lower-cased) token belongs to, in the order of :data:`CUE_GROUPS`."""
    exact, prefixes = _tables()
    groups = set(exact.get(token, ()))
    groups.update(g for p, g in prefixes if token.startswith(p))
    return tuple(g for g in GROUP_NAMES if g in groups)


def cue_sequence(text: str) -> list[str]:
    """Analyzer for a TfidfVectorizer: n-grams (1-3) over the sentence's sequence of cue tags.

    Words outside the cue groups are dropped; commas, colons and quote marks are kept as clause
    markers; the sentence start is marked, so "<s> DENY" means a denial verb early in the
    main clause. A token in several groups yields one combined tag ("ACCUSE+ATTR").
    """
    seq = ["<s>"]
    for tok in tokenize(text):
        if tok in (",", ";", ":", "(", ")", "-", "\u2014"):
            if seq[-1] != ",":
                seq.append(",")
            continue
        if tok in ("?", "!"):
            seq.append(tok)
            continue
        tags = cue_tag(tok)
        if tags:
            seq.append("+".join(tags))
    seq.append("</s>")
    grams = list(seq)
    grams += [f"{a} {b}" for a, b in zip(seq, seq[1:])]
    grams += [f"{a} {b} {c}" for a, b, c in zip(seq, seq[1:], seq[2:])]
    return grams


class CueCounts(BaseEstimator, TransformerMixin):
    """Dense cue features: log counts per cue group, their pairwise products, and a few shapes.

    Stateless: ``fit`` learns nothing, so the features mean the same on any corpus.
    """

    def __init__(self, pairs: bool = True) -> None:
        self.pairs = pairs

    def fit(self, X, y=None):  # noqa: N803 (scikit-learn signature)
        self.n_features_out_ = len(self._row("x"))
        return self

    def _row(self, text: str) -> list[float]:
        toks = tokenize(text)
        counts = dict.fromkeys(GROUP_NAMES, 0)
        for tok in toks:
            for g in cue_tag(tok):
                counts[g] += 1
        base = [float(np.log1p(counts[g])) for g in GROUP_NAMES]
        feats = list(base)
        if self.pairs:
            pres = [1.0 if counts[g] else 0.0 for g in GROUP_NAMES]
            feats += [pres[i] * pres[j] for i in range(len(pres)) for j in range(i + 1, len(pres))]
        words = [t for t in toks if t[0].isalnum()]
        n = len(words)
        feats += [
            float(np.log1p(n)),
            1.0 if text.rstrip()[-1:] not in ".!?\"'\u201d\u2019" else 0.0,  # headline or fragment
            1.0 if text.strip()[:1] in "\"\u201c\u2018'" else 0.0,  # opens with a quote
            1.0 if "?" in text else 0.0,
        ]
        return feats

    def transform(self, X):  # noqa: N803
        return sparse.csr_matrix(np.array([self._row(t) for t in X], dtype=np.float64))

    def get_feature_names_out(self, input_features=None):
        names = [f"cue:{g}" for g in GROUP_NAMES]
        if self.pairs:
            names += [f"cue:{a}*{b}" for i, a in enumerate(GROUP_NAMES) for b in GROUP_NAMES[i + 1:]]
        names += ["cue:log_len", "cue:no_final_punct", "cue:opens_quote", "cue:question"]
        return np.array(names, dtype=object)
