CREATE TABLE guild_settings (
    guild_id    BIGINT PRIMARY KEY,
    mod_role_id BIGINT
);
