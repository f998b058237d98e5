-- Review queues of drafted candidate facts (`source draft`): one row per queue, kept
-- so a restart loses nothing. A queue belongs to the moderator who opened it, in the
-- server it was opened in, and expires; its candidates are a JSON list, rewritten as
-- one value at each click (a queue holds at most a few hundred).
CREATE TABLE review_queues (
    id           TEXT PRIMARY KEY,          -- unguessable; part of every button's custom_id
    guild_id     INTEGER NOT NULL,          -- the server it was opened in
    moderator_id INTEGER NOT NULL,          -- the only user whose clicks count
    scope        INTEGER,                   -- where accepted facts go: a server, or NULL (shared)
    source_id    INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,
    items        TEXT NOT NULL,             -- JSON list of candidates and their state
    created_at   TEXT NOT NULL,             -- UTC
    expires_at   TEXT NOT NULL              -- UTC; refreshed by each click
);
CREATE INDEX review_queues_owner ON review_queues(guild_id, moderator_id);
