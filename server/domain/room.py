"""The room's sizes, shared by the set-up, joining and the JSON import, so every workshop the server makes can
be exported and imported again."""

MAX_TABLES = 30  # a workshop's tables (5-12 in practice)
# Phones that may join one table over a workshop: a table of 4-8, each phone joining again now and then.
MAX_PARTICIPANTS_PER_TABLE = 100
