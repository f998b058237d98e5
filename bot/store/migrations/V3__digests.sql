-- Daily digests: one subscription per server, and one row per server per local day
-- that records whether that day's digest is being sent, was sent, or was skipped.
CREATE TABLE digest_subscriptions (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    local_time      TEXT NOT NULL,            -- HH:MM on the server's wall clock
    tz              TEXT NOT NULL,            -- IANA zone
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,                     -- why the bot turned it off (channel gone…)
    reason_told     INTEGER NOT NULL DEFAULT 1,
    active_from     TEXT NOT NULL,            -- UTC: set or re-enabled at; no digest due before
    since           TEXT NOT NULL,            -- UTC: changes after this go in the next digest
    last_sent_day   TEXT,                     -- local date of the last digest sent
    last_sent_at    TEXT,                     -- UTC
    updated_by      INTEGER,
    updated_at      TEXT NOT NULL
);

CREATE TABLE digest_deliveries (
    guild_id   INTEGER NOT NULL,
    local_day  TEXT NOT NULL,                 -- YYYY-MM-DD in the subscription's zone
    state      TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'skipped')),
    nonce      TEXT NOT NULL,
    message_id INTEGER,
    at         TEXT NOT NULL,
    PRIMARY KEY (guild_id, local_day)
);
