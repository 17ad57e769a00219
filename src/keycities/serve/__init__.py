"""The live preview (`generate.py serve`): the project's letters and packs as pages in the browser, laid out
as A4 sheets, each loading again when an input file is saved. It composes and renders (data, figures,
compose, render) and writes no file."""
