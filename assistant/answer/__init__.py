"""Answer composition: the extractive answerer, answers from the commitments ledger, province-by-province
comparison, questions about the collection, the optional generative reader with its verification, and
the prompt files it renders."""
