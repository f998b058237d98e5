-- The fact store: sources, entities and aliases, facts and meetings with verbatim
-- citations, an audit trail, and full-text indexes. guild_id NULL means shared
-- (visible in every server); a number means that server's own.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sources (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    key                 TEXT UNIQUE,
    guild_id            INTEGER,
    title               TEXT NOT NULL,
    title_is_ours       INTEGER NOT NULL DEFAULT 0,
    url                 TEXT,
    publisher           TEXT,
    author              TEXT,
    published           TEXT,
    published_precision TEXT,
    published_note      TEXT NOT NULL DEFAULT '',
    text                TEXT NOT NULL,
    origin              TEXT NOT NULL CHECK (origin IN ('curated', 'moderator')),
    curated_hash        TEXT,
    created_at          TEXT NOT NULL,
    created_by          INTEGER
);

CREATE TABLE entities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    curated_hash TEXT
);

-- One row per spelling; `folded` is case- and accent-folded, and unique: an alias
-- names one entity only.
CREATE TABLE aliases (
    folded    TEXT PRIMARY KEY,
    alias     TEXT NOT NULL,
    entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE
);
CREATE INDEX aliases_entity ON aliases(entity_id);

CREATE TABLE facts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT UNIQUE,
    guild_id      INTEGER,
    subject_id    INTEGER NOT NULL REFERENCES entities(id),
    statement     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('reported', 'quote', 'attributed', 'opinion')),
    attributed_to TEXT,
    retracted     INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    origin        TEXT NOT NULL CHECK (origin IN ('curated', 'moderator')),
    curated_hash  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX facts_subject ON facts(subject_id);
CREATE INDEX facts_guild ON facts(guild_id);

CREATE TABLE fact_topics (
    fact_id INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
    topic   TEXT NOT NULL,
    PRIMARY KEY (fact_id, topic)
);
CREATE INDEX fact_topics_topic ON fact_topics(topic);

CREATE TABLE fact_entities (
    fact_id   INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    PRIMARY KEY (fact_id, entity_id)
);
CREATE INDEX fact_entities_entity ON fact_entities(entity_id);

CREATE TABLE meetings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT UNIQUE,
    guild_id     INTEGER,
    title        TEXT NOT NULL,
    place_id     INTEGER REFERENCES entities(id),
    place_text   TEXT,
    starts_at    TEXT NOT NULL,           -- UTC, ISO 8601
    ends_at      TEXT,                    -- UTC, ISO 8601
    tz           TEXT NOT NULL,           -- IANA zone the time was given in
    precision    TEXT NOT NULL,           -- minute, day, ...
    resolution   TEXT NOT NULL DEFAULT '',-- how the date was worked out
    status       TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'postponed', 'cancelled')),
    status_note  TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 1,
    origin       TEXT NOT NULL CHECK (origin IN ('curated', 'moderator')),
    curated_hash TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX meetings_start ON meetings(starts_at);

CREATE TABLE meeting_participants (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    entity_id  INTEGER REFERENCES entities(id),
    name       TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE citations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    fact_id    INTEGER REFERENCES facts(id) ON DELETE CASCADE,
    meeting_id INTEGER REFERENCES meetings(id) ON DELETE CASCADE,
    source_id  INTEGER NOT NULL REFERENCES sources(id),
    quote      TEXT NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    CHECK ((fact_id IS NULL) <> (meeting_id IS NULL))
);
CREATE INDEX citations_fact ON citations(fact_id);
CREATE INDEX citations_meeting ON citations(meeting_id);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    guild_id    INTEGER,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   INTEGER,
    before      TEXT,
    after       TEXT,
    reason      TEXT
);
CREATE INDEX audit_object ON audit(object_type, object_id);
CREATE INDEX audit_guild ON audit(guild_id, id);

-- Full-text indexes, kept in step by the store (rowid = facts.id / entities.id).
CREATE VIRTUAL TABLE facts_fts USING fts5(
    statement, quotes, topics, names,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE entities_fts USING fts5(
    name, aliases, role,
    tokenize = 'unicode61 remove_diacritics 2'
);
