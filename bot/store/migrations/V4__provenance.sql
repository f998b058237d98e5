-- Provenance: what a role, a meeting's date or status, a source's date, or what a fact's
-- statement adds beyond its citations rests on, when no cited passage states it. Each is
-- JSON or NULL: {"citations": [{"source_id", "source_title", "quote", "start", "end"}],
-- "public_record": "the curator's note", "url": "…", "inferred": "the curator's reasoning"}.
-- NULL means the row's own citations state it (moderators' rows, older stores).
ALTER TABLE entities ADD COLUMN role_provenance TEXT;
ALTER TABLE sources ADD COLUMN published_provenance TEXT;
ALTER TABLE facts ADD COLUMN provenance TEXT;
ALTER TABLE meetings ADD COLUMN date_provenance TEXT;
ALTER TABLE meetings ADD COLUMN status_provenance TEXT;
