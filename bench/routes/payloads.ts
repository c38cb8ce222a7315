/**
 * Payloads shared by the bench Worker and the bench sections.
 * CREDENTIAL_94 is a realistic credential as the vault stores it (a JSON
 * object of the platform's fields, fake values), exactly 94 bytes of UTF-8;
 * scripts/make-fernet-fixtures.py and bench/python/fernet_bench.py use the
 * same string.
 */
export const CREDENTIAL_94 = '{"api_key":"AIzaSyB3xQ7lC2vN9mK4pR8tW1zY6uE5oI0aS3d","cx":"017643444788069204610:4gvhea_mvga"}';
