-- What the user chose in Settings, a row a setting; a missing row means the default.
CREATE TABLE settings (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
