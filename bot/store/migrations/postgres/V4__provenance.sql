ALTER TABLE entities ADD COLUMN role_provenance TEXT;
ALTER TABLE sources ADD COLUMN published_provenance TEXT;
ALTER TABLE facts ADD COLUMN provenance TEXT;
ALTER TABLE meetings ADD COLUMN date_provenance TEXT;
ALTER TABLE meetings ADD COLUMN status_provenance TEXT;
