"""The Gradio web app: one page per interface language, tabs as functions of an AppContext, the /ask API."""
