"""Operations: backup, restore, export/import, time travel, the SonicJS importer."""
