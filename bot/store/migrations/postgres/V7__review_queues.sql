CREATE TABLE review_queues (
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id           TEXT PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    moderator_id BIGINT NOT NULL,
    scope        BIGINT,
    source_id    BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    position     BIGINT NOT NULL DEFAULT 0,
    items        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX review_queues_owner ON review_queues(guild_id, moderator_id);
