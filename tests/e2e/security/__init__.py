"""End-to-end security suite (issue 3): authentication, roles, tenants and sharing, hostile
names, hostile HTTP, rate limits, key secrecy and revocation, against the real binary.

run.py discovers it with the other e2e tests (this folder is a package); run only it with
`/usr/bin/python3 tests/e2e/run.py --build-dir build -k security.`."""
