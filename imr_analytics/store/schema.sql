-- imr-analytics database schema.
-- Layers: raw (documents: the extracted text of every file, enough to rebuild everything
-- downstream without the source files) -> core (letters, items, citations) -> the
-- bookkeeping tables (load_errors, letter_duplicates, load_runs).
-- Missing values are NULL, never empty strings or placeholders.

CREATE TABLE IF NOT EXISTS schema_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- raw layer --------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS documents (
    content_sha256 VARCHAR PRIMARY KEY,   -- sha256 of the file's bytes
    source_path VARCHAR NOT NULL,         -- path as given when first loaded
    source_format VARCHAR NOT NULL,       -- 'pdf' | 'txt' | 'md'
    extractor VARCHAR NOT NULL,           -- e.g. 'pypdfium2 5.1.0', 'text'
    byte_size BIGINT NOT NULL,
    page_count INTEGER,                   -- PDFs only
    -- extracted text, before normalisation; zstd: DuckDB's default (dictionary + FSST)
    -- cost a load 0.12 ms of CPU a letter at its checkpoint and stored 4x the bytes
    text VARCHAR USING COMPRESSION zstd NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- core layer -------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS letters (
    letter_id VARCHAR PRIMARY KEY,        -- case number, or 'doc-' + sha256[:16] without one
    case_number VARCHAR,
    layout VARCHAR,
    source_path VARCHAR,
    content_sha256 VARCHAR,
    date_assigned DATE,
    decision_date DATE,
    injury_date DATE,
    ur_denial_date DATE,
    application_received DATE,
    priority VARCHAR,                     -- 'standard' | 'expedited'
    patient_age INTEGER,
    patient_sex VARCHAR,                  -- 'female' | 'male'
    reviewer_specialties VARCHAR[],       -- canonical vocabulary (vocab/data/specialties.csv)
    reviewer_licensure VARCHAR[],         -- full state names
    case_summary VARCHAR,
    reviewer_specialties_raw VARCHAR[],   -- as written in the letter
    reviewer_licensure_raw VARCHAR[],     -- as written in the letter
    item_count INTEGER,
    parser_version VARCHAR,
    parse_warnings VARCHAR[]
);

CREATE TABLE IF NOT EXISTS items (
    letter_id VARCHAR NOT NULL,
    item_no INTEGER NOT NULL,             -- 1-based, order in the letter
    item_text VARCHAR,                    -- heading as written, without the outcome
    disputed_text VARCHAR,                -- the part that went to IMR
    modified_request BOOLEAN,             -- UR authorised part of the request
    decision VARCHAR,                     -- 'upheld' | 'overturned'
    item_category VARCHAR,                -- treatment taxonomy (vocab/data/treatment_taxonomy.csv)
    drug_class VARCHAR,                   -- pharmaceuticals only
    ca_guideline_text VARCHAR,
    ca_guideline_sources VARCHAR[],       -- families: MTUS, ODG, ACOEM, other, none
    reviewer_guideline_text VARCHAR,
    reviewer_guideline_sources VARCHAR[],
    reviewer_guideline_pages VARCHAR,
    rationale VARCHAR,
    item_pattern VARCHAR,                 -- disputed text without quantities, lower case
    taxonomy_version VARCHAR,
    ingredients VARCHAR[],                -- generic active ingredients (pharmaceuticals only)
    body_regions VARCHAR[],               -- fixed list of docs/treatment-names.md
    treatment VARCHAR,                    -- one name per thing requested
    strength VARCHAR,                     -- as written, e.g. '10/325mg'
    quantity DOUBLE,                      -- tablets, sessions, visits, units, grams
    quantity_unit VARCHAR,
    PRIMARY KEY (letter_id, item_no)
);

CREATE TABLE IF NOT EXISTS citations (
    letter_id VARCHAR NOT NULL,
    item_no INTEGER NOT NULL,
    party VARCHAR NOT NULL,               -- 'claims_administrator' | 'reviewer'
    citation_no INTEGER NOT NULL,         -- order within the party's guideline line
    source VARCHAR NOT NULL,              -- MTUS, ODG, ACOEM, other, none
    chapter VARCHAR,                      -- MTUS chapter with year
    sections VARCHAR,
    pages VARCHAR,
    citation_text VARCHAR
);

-- bookkeeping ------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS load_errors (
    source_path VARCHAR,
    content_sha256 VARCHAR,
    stage VARCHAR,                        -- 'read' | 'extract' | 'detect' | 'parse'
    reason VARCHAR,
    logged_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS seen_files (
    source_path VARCHAR PRIMARY KEY,      -- every file a load has handled
    byte_size BIGINT,
    source_mtime_ns BIGINT,               -- modification time, ns since the epoch
    content_sha256 VARCHAR,               -- NULL for a file refused unread (too large)
    seen_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS letter_duplicates (
    letter_id VARCHAR,                    -- the letter kept
    source_path VARCHAR,                  -- the file that repeated it
    content_sha256 VARCHAR,
    kept_source_path VARCHAR,
    logged_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS load_runs (
    run_id VARCHAR PRIMARY KEY,
    command VARCHAR,                      -- 'load' | 'reparse'
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    files_seen BIGINT,
    letters_loaded BIGINT,
    files_skipped BIGINT,
    files_quarantined BIGINT,
    duplicates BIGINT,
    items_other BIGINT,
    items_unknown_drug BIGINT,            -- pharmaceutical items no drug lexicon entry names
    parser_version VARCHAR,
    taxonomy_version VARCHAR,
    vocab_version VARCHAR                 -- specialties and states vocabulary
);

-- versions (schema 3) ----------------------------------------------------------------
-- Every document that parsed to a letter is a version of that letter. The letter in
-- `letters` is the current version: among versions not replaced (their file was changed
-- in place), the one with the latest decision date, then the one loaded last.
CREATE TABLE IF NOT EXISTS letter_versions (
    content_sha256 VARCHAR PRIMARY KEY,   -- the document (documents.content_sha256)
    letter_id VARCHAR NOT NULL,
    source_path VARCHAR,                  -- the file it was loaded from
    decision_date DATE,
    version_seq BIGINT NOT NULL,          -- load order: a later load has a larger number
    loaded_at TIMESTAMP,
    replaced_at TIMESTAMP,                -- when its file changed to another letter document
    replaced_by VARCHAR                   -- content_sha256 of the document that replaced it
);

CREATE OR REPLACE VIEW letter_history AS
SELECT v.*,
       l.letter_id IS NOT NULL AS is_current,
       CASE WHEN l.letter_id IS NOT NULL THEN 'current'
            WHEN v.replaced_at IS NOT NULL THEN 'replaced'
            ELSE 'superseded' END AS status
FROM letter_versions v
LEFT JOIN letters l ON l.letter_id = v.letter_id AND l.content_sha256 = v.content_sha256;

-- migrations: databases made by an earlier schema gain the newer columns --------------
ALTER TABLE load_runs ADD COLUMN IF NOT EXISTS vocab_version VARCHAR;
ALTER TABLE load_runs ADD COLUMN IF NOT EXISTS letters_corrected BIGINT;  -- schema 3

-- migration (issue 8): item naming fields; databases made before them gain the columns (empty
-- until `imr-analytics reparse` fills them) ----------------------------------------------
ALTER TABLE items ADD COLUMN IF NOT EXISTS ingredients VARCHAR[];
ALTER TABLE items ADD COLUMN IF NOT EXISTS body_regions VARCHAR[];
ALTER TABLE items ADD COLUMN IF NOT EXISTS treatment VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS strength VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS quantity DOUBLE;
ALTER TABLE items ADD COLUMN IF NOT EXISTS quantity_unit VARCHAR;
ALTER TABLE load_runs ADD COLUMN IF NOT EXISTS items_unknown_drug BIGINT;
