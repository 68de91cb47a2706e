/** Names shared by the globalSetup that makes the PGlite template and the tests that copy it. */
export const PGLITE_DIR_ENV = 'UPTAKE_TEST_PGLITE_DIR';
export const PGLITE_TEMPLATE = 'template';
