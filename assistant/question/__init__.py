"""Question understanding: language, provinces, years, document numbers, follow-ups (understand), and
what kind of answer is asked for (asked). Vocabularies in data/."""
