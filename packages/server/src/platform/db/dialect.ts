/** The SQL databases Parley runs on (one code path, two dialects). */
export type Dialect = "sqlite" | "postgres";
