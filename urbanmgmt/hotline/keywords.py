"""Finding a fixed set of words in text: the longest at each place, left to right, never
overlapping, as the alternation of the words, longest first, would find them with a regular
expression. The catalogue's keywords, the bureaus' words, the gazetteer's place names and
the generic words are all found this way.

Python's engine would try the alternatives one after another at every character that may
start a word (the catalogue's and the bureaus' words start with some 380 characters, so a
350-character complaint costs tens of thousands of tests). An Aho-Corasick automaton
(ahocorasick_rs, compiled) reads the text once, whatever the number of words; its
leftmost-longest matching is that rule: at the first place where a word begins, the longest
word that begins there, then on from its end.
"""

from ahocorasick_rs import AhoCorasick, MatchKind


class Keywords:
    """`findall`, `spans` and `sub` as a regular expression of `words` gives them (the longest
    word at each place, left to right, never overlapping), and `cut`: `sub` and `findall` at
    once."""

    def __init__(self, words):
        self.words = frozenset(w for w in words if w)
        self._sorted = sorted(self.words)  # the automaton's words by the index its matches give
        self._automaton = AhoCorasick(self._sorted, matchkind=MatchKind.LeftmostLongest) if self.words else None

    def __bool__(self) -> bool:
        return bool(self.words)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word found, in order (character offsets)."""
        if self._automaton is None or not text:
            return []
        return [(start, end) for _word, start, end in self._automaton.find_matches_as_indexes(text)]

    def findall(self, text: str) -> list[str]:
        if self._automaton is None or not text:
            return []
        return self._automaton.find_matches_as_strings(text)

    def sub(self, replacement: str, text: str) -> str:
        """The text with each word found replaced (re.sub with a plain replacement)."""
        return self.cut(replacement, text)[0]

    def cut(self, replacement: str, text: str) -> tuple[str, list[str]]:
        """`sub(replacement, text)` and `findall(text)` from one reading of the text."""
        if self._automaton is None or not text:
            return text, []
        pieces, found, last, words = [], [], 0, self._sorted
        for index, a, b in self._automaton.find_matches_as_indexes(text):
            pieces.append(text[last:a])
            found.append(words[index])
            last = b
        pieces.append(text[last:])
        return replacement.join(pieces), found
