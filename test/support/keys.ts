/**
 * Test-only keys. They protect nothing: they exist so tests are repeatable.
 * Never use them outside tests (the config check does not know them, so keep
 * them out of .dev.vars and production).
 */
export const TEST_CREDENTIAL_KEY = 'w05RkQSU1mQMnwedhw6CjFivN7WcwEEBSNL2vtxWdoQ=';
export const TEST_CREDENTIAL_KEY_2 = 'hrbIRs839cf0fiasG7UuwspvKj3QzB8CFMIQYXCiIPI=';
export const TEST_SECRET_KEY = '7018f590781847abd3bc47302b2911d522a5cd00ffbde3b3defdb5dbce666055';
export const TEST_SECRET_KEY_2 = '2e4b6aa660a0ae0893b6cf1a8734faac25623c9ea4e02cc1111cacfab3b6ea83';
