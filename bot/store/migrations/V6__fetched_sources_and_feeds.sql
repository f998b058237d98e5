-- Sources fetched from the web, and the feeds servers follow.
--
-- source_fetches: where a fetched source's text came from (the URL asked for and the one
-- finally read), when, and sha256 hashes of the bytes received and of the stored text;
-- and whether a moderator has confirmed the extracted metadata.
CREATE TABLE source_fetches (
    source_id          INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    guild_id           INTEGER,
    url                TEXT NOT NULL,
    final_url          TEXT NOT NULL,
    content_type       TEXT NOT NULL,
    fetched_at         TEXT NOT NULL,            -- UTC
    body_sha256        TEXT NOT NULL,
    text_sha256        TEXT NOT NULL,
    confirmed_by       INTEGER,
    confirmed_at       TEXT
);

-- One row per feed a server follows; the row is also the feed's poll schedule.
CREATE TABLE feeds (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id          INTEGER NOT NULL,
    url               TEXT NOT NULL,
    title             TEXT NOT NULL DEFAULT '',
    channel_id        INTEGER NOT NULL,         -- the review channel
    interval_seconds  INTEGER NOT NULL,
    next_poll_at      TEXT NOT NULL,            -- UTC
    etag              TEXT,
    last_modified     TEXT,
    polled_at         TEXT,                     -- UTC, last successful poll
    failing_since     TEXT,                     -- UTC, first failure of the current run
    failures          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    paused            INTEGER NOT NULL DEFAULT 0,
    paused_reason     TEXT,
    baselined         INTEGER NOT NULL DEFAULT 0, -- the first poll has been read
    created_by        INTEGER,
    created_at        TEXT NOT NULL,
    UNIQUE (guild_id, url)
);
CREATE INDEX feeds_due ON feeds(paused, next_poll_at);

-- One row per item seen in a feed. An item is posted to the review channel at most once:
-- 'new' (to post), 'sending' (claimed before the post; settled after a crash by finding
-- the posted message), 'posted', or 'seen' (was in the feed when it was added).
CREATE TABLE feed_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    item_key    TEXT NOT NULL,                  -- sha256 of the item's guid or link
    title       TEXT NOT NULL,
    link        TEXT,
    published   TEXT,                           -- as the feed gives it, cleaned
    state       TEXT NOT NULL CHECK (state IN ('new', 'sending', 'posted', 'seen')),
    claimed_at  TEXT,
    message_id  INTEGER,
    source_id   INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    first_seen  TEXT NOT NULL,
    UNIQUE (feed_id, item_key)
);
CREATE INDEX feed_items_state ON feed_items(state, feed_id);
