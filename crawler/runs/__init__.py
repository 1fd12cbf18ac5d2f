"""A run and its files: ids and instants, where its files are, their one writer and one
reader, what a run fixes at its start, and the summary written at its close."""
