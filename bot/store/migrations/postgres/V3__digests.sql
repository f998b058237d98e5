CREATE TABLE digest_subscriptions (
    guild_id        BIGINT PRIMARY KEY,
    channel_id      BIGINT NOT NULL,
    local_time      TEXT NOT NULL,
    tz              TEXT NOT NULL,
    enabled         BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    reason_told     BIGINT NOT NULL DEFAULT 1,
    active_from     TEXT NOT NULL,
    since           TEXT NOT NULL,
    last_sent_day   TEXT,
    last_sent_at    TEXT,
    updated_by      BIGINT,
    updated_at      TEXT NOT NULL
);

CREATE TABLE digest_deliveries (
    guild_id   BIGINT NOT NULL,
    local_day  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'skipped')),
    nonce      TEXT NOT NULL,
    message_id BIGINT,
    at         TEXT NOT NULL,
    PRIMARY KEY (guild_id, local_day)
);
