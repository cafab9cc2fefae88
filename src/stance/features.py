"""Feature pieces of the pipeline: word n-grams, cue-tag sequences and cue counts.

Word n-grams learn topic wording; they carry poorly to news on other topics. The cue pieces map
words onto a small set of stance cues (denial verbs, falsity terms, accusation verbs, wrongful
acts, hedges, attribution, negation, first person, refusals, report nouns, ...) so that what is
learnt about "denied the report" carries to "rejected the claims" on any topic.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["CUE_GROUPS", "SCOPE_PATTERNS", "lexicon_vote", "mask_names", "tokenize", "cue_tag", "cue_sequence", "cue_sequence_no_vote", "scoped_cues", "CueCounts"]

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


# A capitalised word (or run of them) after a lower-case word or punctuation inside a sentence:
# the names of people, places, groups and outlets. Sentence-initial words, the pronoun "I" (and
# "I'm", "I've" ...) and words in capitals ("FALSE", "NATO") are left alone.
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_NAME_WORD = rf"(?!I\b|I['\u2019])[{_UPPER}](?![{_UPPER}]+\b)[\w'\u2019-]*"
_NAME = re.compile(rf"(?<=[a-z,;:\"'\u201c\u201d)] ){_NAME_WORD}(?:\s+{_NAME_WORD})*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


_ASCII = frozenset(map(chr, range(128)))


def strip_accents(text: str) -> str:
    """NFKD-decompose and drop combining marks: the same as scikit-learn's
    ``strip_accents_unicode``, but only the text's distinct non-ASCII characters are looked up
    (most news sentences hold none but curly quotes and dashes, and keep them)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    marks = [c for c in set(text).difference(_ASCII) if unicodedata.combining(c)]
    return text.translate(dict.fromkeys(map(ord, marks))) if marks else text


def mask_names(text: str) -> str:
    """Preprocessor for the word n-grams: names inside a sentence become ``xname`` and numbers
    ``xnum``, then the text is lower-cased and its accents stripped.

    The corpus is written about a few hundred invented events; real news names other people
    and places. Masking the names makes the word n-grams learn how things are said ("xname
    denied", "said xname was behind") rather than who the corpus happens to be about.
    """
    return strip_accents(_NUMBER.sub("xnum", _NAME.sub("xname", text)).lower())


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (the curly apostrophe becomes ``'``)."""
    # Tokens hold only ASCII letters and digits, apostrophes, quote marks and punctuation, so
    # lower-casing them joined in one string equals lower-casing each (and costs one call).
    tokens = _TOKEN.findall(text)
    return "\0".join(tokens).lower().replace("\u2019", "'").split("\0") if tokens else []


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


# Tokens longer than this are not cached, and a cache is emptied when it reaches
# _CACHE_MAX_SIZE entries: a cache keyed by client input must not let a client fill memory
# with junk strings (65,536 entries of 20,000 characters).
_CACHE_MAX_LEN = 40
_CACHE_MAX_SIZE = 65536


class _BoundedCache(dict):
    """A dict that computes missing keys with ``fn`` and stores them (keys of up to
    ``_CACHE_MAX_LEN`` characters). A plain ``dict`` lookup is the hot path (no function-call
    wrapper, unlike ``lru_cache``); once full it is emptied and refilled, so memory stays bounded
    and junk keys cannot keep new ones out for good."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> Any:
        value = self.fn(key)
        if len(key) <= _CACHE_MAX_LEN:
            if len(self) >= _CACHE_MAX_SIZE:
                self.clear()
            self[key] = value
        return value


def _compute_cue_tag(token: str) -> tuple[str, ...]:
    exact, prefixes = _tables()
    groups = set(exact.get(token, ()))
    groups.update(g for p, g in prefixes if token.startswith(p))
    return tuple(g for g in GROUP_NAMES if g in groups)


_CUE_TAGS = _BoundedCache(_compute_cue_tag)


def cue_tag(token: str) -> tuple[str, ...]:
    """The cue groups a (lower-cased) token belongs to, in the order of :data:`CUE_GROUPS`."""
    return _CUE_TAGS[token]


_CLAUSE_MARKS = frozenset((",", ";", ":", "(", ")", "-", "\u2014"))


def _compute_seq_tag(token: str) -> str:
    """What a token adds to the cue sequence: "," for a clause mark, "?" or "!", the combined
    tag of its cue groups ("ACCUSE+ATTR"), or "" for nothing."""
    if token in _CLAUSE_MARKS:
        return ","
    if token in ("?", "!"):
        return token
    return "+".join(cue_tag(token))


_SEQ_TAGS = _BoundedCache(_compute_seq_tag)


# ---- cues with their scope --------------------------------------------------------------
# A cue word alone is ambiguous ("charged" a phone, "dismissed" from a job, "never" in a
# memoir). These patterns combine a cue with what it applies to: a denial verb with a claim
# as its object, a falsity term said of a report, an accusation verb with its "of"/"for",
# a wrongful act under a hedge or a source. Each match becomes one feature.
_CLAIM = (r"(?:reports?|claims?|allegations?|accusations?|charges|rumou?rs?|stor(?:y|ies)|assertions?|suggestions?|"
          r"speculation|news|footage|videos?|photo(?:graph)?s?|images?|pictures?|posts?|tweets?|articles?|"
          r"accounts?|theor(?:y|ies)|narratives?|version|leaks?|dossier|findings)")
_DENYV = (r"(?:den(?:y|ies|ied|ying)|dismiss(?:ed|es|ing)?|reject(?:ed|s|ing)?|refut(?:e|ed|es|ing)|rebut(?:s|ted)?|"
          r"disput(?:e|ed|es|ing)|repudiat\w*|rubbish(?:ed)?|debunk(?:ed|s|ing)?|contest(?:ed|s)?|brushed aside|"
          r"scoffed at|laughed off|played down|downplayed|disavow\w*|den(?:y|ies|ied) (?:any|all))")
_FALSE = (r"(?:false(?:ly)?|fake|hoax(?:es)?|baseless|unfounded|groundless|fabricat\w*|untrue|nonsense|myths?|"
          r"absurd|ridiculous|fiction(?:al)?|invent(?:ed|ion)|smears?|slander\w*|lies|lie|bogus|doctored|"
          r"misleading|inaccurate|wrong|rubbish|fantas(?:y|ies)|concocted|made[- ]up|photoshopped|distort\w*|"
          r"propaganda|disinformation|misinformation|conspiracy theor\w*|satir\w*|not true|no truth|no basis)")
_WRONG = (r"(?:kill\w*|murder\w*|attack\w*|bomb\w*|shell(?:ed|ing)|tortur\w*|abus\w*|st(?:ole|eal\w*)|fraud\w*|"
          r"brib\w*|kidnap\w*|abduct\w*|rap(?:e|ed|ing)|assault\w*|smuggl\w*|hack\w*|spy\w*|spied|espionage|"
          r"corrupt\w*|launder\w*|terror\w*|massacre\w*|beat(?:en|ing)?|shot|shoot\w*|stabb\w*|dop(?:ed|ing)|"
          r"cheat\w*|rigg\w*|embezzl\w*|trafficking|harass\w*|poison\w*|sabotag\w*|looted|raped|violat\w*|"
          r"supply\w*|suppli\w*|sold|sell\w*|export\w*|ship(?:ped|ping|ments?)|transfer\w*|funnel\w*|cover(?:ed)?[- ]up)")

SCOPE_PATTERNS: dict[str, str] = {
    "deny_claim": rf"\b{_DENYV}\b(?:\W+\w+){{0,5}}?\W+{_CLAIM}\b",
    "deny_that": rf"\b{_DENYV}\s+(?:that|any|all|ever|involvement|responsibility|wrongdoing|knowledge|"
                 rf"having|being|the (?:charge|accusation|allegation)s?)\b",
    "deny_as_false": rf"\b{_DENYV}\b.{{0,80}}\bas\b.{{0,40}}\b{_FALSE}",
    "called_false": rf"\b(?:call(?:ed|s|ing)?|described|describ(?:es|ing)|branded|labell?ed|termed|dubbed|"
                    rf"said|says|insist\w*)\b.{{0,80}}\b{_FALSE}\b",
    "claim_is_false": rf"\b{_CLAIM}\b.{{0,60}}\b(?:is|was|are|were|be|been|proved|proven|turned out)\b(?:\W+\w+){{0,3}}?\W+{_FALSE}\b",
    "false_claim": rf"\b{_FALSE}\W+(?:\w+\W+){{0,2}}{_CLAIM}\b",
    "first_never": r"\b(?:i|we)\b(?:\W+\w+){0,2}?\W+(?:never|not|n't|no longer)\b",
    "never_happened": r"\b(?:nothing of the sort|never happened|did not happen|didn't happen|no such|"
                      r"never took place|no evidence|is not true|was not true|no truth|no basis|not a shred|"
                      r"nothing to do with|had no (?:role|part|involvement|knowledge)|have no (?:role|part|involvement|knowledge)|"
                      r"never (?:met|seen|heard|been|visited|sold|exported|received|took|taken|said|ordered))\b",
    "cleared": r"\b(?:pleaded not guilty|pleads not guilty|plead not guilty|not guilty|acquitted|acquittal|"
               r"cleared of|cleared|exonerat\w*|no wrongdoing|retract\w*|withdr[ae]w\w* (?:the|its|his|her) "
               r"(?:claim|story|report|allegation)|apologi[sz]ed for (?:the|its|an) (?:error|report|story))\b",
    "accuse_of": r"\b(?:accus\w+|suspect\w*|convict\w+|guilty)\b.{0,60}\bof\b",
    "blame_for": r"\b(?:blam\w+|responsib\w+|fault\w*)\b.{0,60}\b(?:for|of)\b",
    "charged_with": r"\b(?:charged|indicted|convicted|arrested|jailed|sentenced|detained|sued|fined|prosecuted)\b"
                    r"(?:\W+\w+){0,3}?\W+(?:with|for|over|on suspicion|on charges)\b",
    "behind": rf"\b(?:behind|orchestrat\w+|mastermind\w*|bankroll\w*|sponsor\w*|plott\w*|aimed at|designed to)\b"
              rf"(?:\W+\w+){{0,3}}?\W+(?:{_WRONG}|the (?:attack|bombing|plot|hack|campaign|killing|murder|leak|blast|"
              rf"rumou?r|smear)|tarnish\w*|discredit\w*|undermin\w*|destabili[sz]\w*)",
    "hedged_wrong": rf"\b(?:allegedly|reportedly|purportedly|suspected|alleged|accused|believed to have)\b"
                    rf"(?:\W+\w+){{0,4}}?\W+{_WRONG}\b",
    "source_wrong": rf"\b(?:said|says|told|according to|claimed|claims|alleged|alleges|accused|insisted|"
                    rf"confirmed|found|concluded|revealed)\b.{{0,100}}\b{_WRONG}\b",
    "condemn": r"\b(?:condemn\w*|denounc\w*|decr(?:y|ied|ies|ying)|deplor\w*|slamm?\w*|lambast\w*)\b",
    "lying": r"\b(?:lying|lied|liars?|deceiv\w*|covered up|cover-up|whitewash\w*|hypocri\w*|cynical\w*|"
             r"conveniently|so-called|shameless\w*)\b",
    "refuse": r"\b(?:declin\w+|refus\w+|would not|did not|could not|was not available|were not available|"
              r"unavailable)\W+(?:to\W+)?(?:comment|confirm|respond|say|elaborate|discuss|answer|reply|be reached)\b"
              r"|\bno comment\b|\bneither confirm\w* nor den\w*|\bdid not (?:immediately )?respond\b",
    "reject_nonclaim": r"\b(?:reject\w*|dismiss\w*|den(?:y|ied|ies))\b(?:\W+\w+){0,3}?\W+(?:offer|proposal|request|"
                       r"bid|plan|calls?|efforts?|appeal|application|deal|motion|visa|entry|access|permission|bail|"
                       r"liberty|rights?)\b",
    "dismissed_job": r"\b(?:dismissed|fired|sacked|removed)\b(?:\W+\w+){0,2}?\W+from\b|\b(?:sacked|sacking|fired as)\b",
    "threat": r"\b(?:will|would|shall)\b(?:\W+\w+){0,2}?\W+(?:face|pay|respond|retaliat\w*|be punished|regret)\b"
              r"|\bwarn\w*\b",
    "speculation": r"\b(?:could|may|might|would)\b(?:\W+\w+){0,2}?\W+(?:become|be|have|lead|help)\b",
    "concern": r"\b(?:concern\w*|worried|alarm\w*|urged|called on|calls on)\b",
}


# The one-line keyword rule: a denial cue wins, else an accusation cue, else neutral. It is the
# lexicon peer of benchmarks/quality.py, and its vote is one feature of the tag piece: its
# order of precedence (a denial word outranks an accusation word, as in the guidelines' "truly
# co-ordinate" rule) is something the n-gram weights cannot express by themselves.
LEXICON_DENY = (r"\b(den(y|ies|ied|ying|ial)|reject\w*|dismiss\w*|refut\w*|false|fake|hoax|baseless|"
                r"unfounded|fabricat\w*|untrue|nonsense|never)\b")
LEXICON_ACCUSE = (r"\b(accus\w*|blam\w*|alleg\w*|charged|condemn\w*|responsible|violat\w*|lying|guilty|"
                  r"convicted|suspected of)\b")

_SCOPE_NAMES = tuple(SCOPE_PATTERNS)
_DENY_INDEX, _ACCUSE_INDEX = len(_SCOPE_NAMES), len(_SCOPE_NAMES) + 1


@lru_cache(maxsize=1)
def _cue_set() -> Any:
    """Every scoped pattern and the keyword rule's two patterns in one RE2 set: one pass over
    the text tells which of them match (linear time; on sentences about ten times faster than
    running Python's ``re`` pattern by pattern, though slower on long texts dense with cues,
    where ``re`` stops at a pattern's first match). The patterns are matched against the
    lower-cased text, so they are written in lower case; :func:`_for_re2` makes RE2's ASCII
    ``\\w``, ``\\s`` and ``\\b`` mean what Python's Unicode ones mean (tests check it)."""
    import re2

    options = re2.Options()
    options.max_mem = 64 << 20  # room for the DFA on the longest texts a request may send
    cues = re2.Set.SearchSet(options)
    for pattern in (*SCOPE_PATTERNS.values(), LEXICON_DENY, LEXICON_ACCUSE):
        cues.Add(pattern)
    cues.Compile()
    return cues


def _fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


# ASCII characters whose class is the same for RE2 and Python's re (\v and \x1c-\x1f are
# whitespace only for Python).
_RE2_PLAIN = frozenset(chr(i) for i in range(128)) - set("\v\x1c\x1d\x1e\x1f")


def _stand_in(char: str) -> str:
    """An ASCII character of the same class for Python's re as ``char``, and found in no
    pattern: "0" for a word character (a letter or digit of any script), a tab for whitespace,
    "#" for anything else (punctuation, symbols, combining marks, lone surrogates)."""
    return "0" if char.isalnum() or char == "_" else "\t" if char.isspace() else "#"


def _for_re2(low: str) -> str:
    """``low`` with every character outside :data:`_RE2_PLAIN` replaced by its
    :func:`_stand_in`: one character for one, so lengths and windows (``.{0,80}``) are kept,
    and each pattern matches the result under RE2 exactly when it matches ``low`` under
    Python's re (the patterns hold no digits, tabs or "#")."""
    for char in set(low).difference(_RE2_PLAIN):
        low = low.replace(char, _stand_in(char))
    return low


def _re2_bytes_python(low: str) -> bytes:
    return _for_re2(low).encode("ascii")


@lru_cache(maxsize=1)
def _re2_bytes() -> Any:
    """``_for_re2(low).encode("ascii")``, by the optional C extension when it is built (tests
    check that the two agree)."""
    try:
        from stance._score import re2_bytes
    except ImportError:
        return _re2_bytes_python
    return re2_bytes


@lru_cache(maxsize=1)
def _matches(text: str) -> frozenset[int]:
    """Indices of the patterns of :func:`_cue_set` that match ``text``. Cached for the last
    text only: the pieces of one pipeline ask for the same text one after the other."""
    return frozenset(_cue_set().Match(_re2_bytes()(_fold(text))) or ())


def scoped_cues(text: str) -> list[str]:
    """Names of the :data:`SCOPE_PATTERNS` that match ``text`` (lower-cased, curly quotes folded)."""
    found = _matches(text)
    return [name for i, name in enumerate(_SCOPE_NAMES) if i in found]


def _vote(found: frozenset[int]) -> str:
    if _DENY_INDEX in found:
        return "denial"
    return "accusation" if _ACCUSE_INDEX in found else "neutral"


def lexicon_vote(text: str) -> str:
    """The keyword rule's label for ``text``: ``denial``, ``accusation`` or ``neutral``."""
    return _vote(_matches(text))


def cue_sequence(text: str) -> list[str]:
    """:func:`cue_sequence_no_vote` plus the keyword rule's vote (``L:denial`` ...)."""
    return _tag_ngrams(text) + scope_grams(text, vote=True)


def cue_sequence_no_vote(text: str) -> list[str]:
    """Analyzer for a TfidfVectorizer: n-grams (1-3) over the sentence's sequence of cue tags,
    and the names of the scoped patterns that match (``S:deny_claim`` ...).

    Words outside the cue groups are dropped; commas, colons and quote marks are kept as clause
    markers; the sentence start is marked, so "<s> DENY" means a denial verb early in the
    main clause. A token in several groups yields one combined tag ("ACCUSE+ATTR").
    """
    return _tag_ngrams(text) + scope_grams(text, vote=False)


def _tag_ngrams(text: str) -> list[str]:
    seq = ["<s>"]
    last = "<s>"
    for tag in map(_SEQ_TAGS.__getitem__, tokenize(text)):
        if tag and (tag != "," or last != ","):
            seq.append(tag)
            last = tag
    seq.append("</s>")
    grams = seq + list(map(" ".join, zip(seq, seq[1:])))
    grams += map(" ".join, zip(seq, seq[1:], seq[2:]))
    return grams


_SCOPE_GRAMS = tuple("S:" + name for name in _SCOPE_NAMES)


def scope_grams(text: str, vote: bool) -> list[str]:
    """The grams of :func:`cue_sequence` (``vote``) or :func:`cue_sequence_no_vote` that are not
    n-grams of the tag sequence: the matching scoped patterns (``S:deny_claim`` ...) and the
    keyword rule's vote. The C analyzer (``stance._score.score_cues``) makes the rest."""
    return scope_grams_function(vote)(text)


@lru_cache(maxsize=2)
def scope_grams_function(vote: bool) -> Any:
    """:func:`scope_grams` for one ``vote`` setting as a function of the text, with the RE2 set
    and the tables it uses bound once (the serving hot path calls it directly)."""
    match, to_bytes, scope, n = _cue_set().Match, _re2_bytes(), _SCOPE_GRAMS, len(_SCOPE_GRAMS)
    deny, accuse = _DENY_INDEX, _ACCUSE_INDEX

    def grams(text: str) -> list[str]:
        found = match(to_bytes(_fold(text))) or ()
        out = [scope[i] for i in sorted(found) if i < n]
        if vote:
            out.append("L:denial" if deny in found else "L:accusation" if accuse in found else "L:neutral")
        return out

    return grams


def tagger_entries() -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[str]]:
    """The cue lexicon for ``stance._score.tagger``: (word, groups) and (prefix, groups) pairs,
    groups as a bit mask over :data:`GROUP_NAMES`, and the group names."""
    bit = {g: 1 << i for i, g in enumerate(GROUP_NAMES)}
    exact, prefixes = _tables()
    return ([(w, sum(bit[g] for g in set(gs))) for w, gs in exact.items()],
            [(p, bit[g]) for p, g in prefixes], list(GROUP_NAMES))


class CueCounts(BaseEstimator, TransformerMixin):
    """Dense cue features: log counts per cue group, their pairwise products, and a few shapes.

    Stateless: ``fit`` learns nothing, so the features mean the same on any corpus.
    """

    def __init__(self, pairs: bool = True, scope: bool = True) -> None:
        self.pairs = pairs
        self.scope = scope

    def fit(self, X, y=None):  # noqa: N803 (scikit-learn signature)
        self.n_features_out_ = len(self.row("x"))
        return self

    def row(self, text: str) -> list[float]:
        """The feature values of one text (one row of :meth:`transform`)."""
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
        matched = set(scoped_cues(text)) if self.scope else set()
        if self.scope:
            feats += [1.0 if name in matched else 0.0 for name in SCOPE_PATTERNS]
        feats += [
            float(np.log1p(n)),
            1.0 if text.rstrip()[-1:] not in ".!?\"'\u201d\u2019" else 0.0,  # headline or fragment
            1.0 if text.strip()[:1] and text.strip()[0] in "\"\u201c\u2018'" else 0.0,  # opens with a quote
            1.0 if "?" in text else 0.0,
        ]
        return feats

    def transform(self, X):  # noqa: N803
        return sparse.csr_matrix(np.array([self.row(t) for t in X], dtype=np.float64))

    def get_feature_names_out(self, input_features=None):
        names = [f"cue:{g}" for g in GROUP_NAMES]
        if self.pairs:
            names += [f"cue:{a}*{b}" for i, a in enumerate(GROUP_NAMES) for b in GROUP_NAMES[i + 1:]]
        if self.scope:
            names += [f"scope:{name}" for name in SCOPE_PATTERNS]
        names += ["cue:log_len", "cue:no_final_punct", "cue:opens_quote", "cue:question"]
        return np.array(names, dtype=object)
