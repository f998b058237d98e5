-- Per-server settings: the moderator role a server chose with `modrole set`.
CREATE TABLE guild_settings (
    guild_id    INTEGER PRIMARY KEY,
    mod_role_id INTEGER
);
