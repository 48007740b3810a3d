"""Fund and call setup for program officers, without a developer: a fund's settings, its calls and
their application forms, rubrics and report forms, and copying a call to start the next round."""
