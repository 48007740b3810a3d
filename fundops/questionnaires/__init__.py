"""A fund's own questions: application forms for its calls and the grantee report forms, each an
ordered, versioned list of questions (fundops.questionnaires.models)."""
