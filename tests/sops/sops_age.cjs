// Opens a file in SOPS's format with the npm package sops-age, a third implementation
// beside meshgen's and tests/sops/open.py (typage's age, noble's AES-GCM), as a check of
// what meshgen seals. sops-age does not check the MAC; open.py does.
//
//     node tests/sops/sops_age.cjs SEALED.yaml AGE_IDENTITY_FILE
//
// Prints the opened document, without its `sops` metadata, as JSON. sops-age is found
// through NODE_PATH: .ci/run installs it from tests/sops/package-lock.json.
const fs = require("node:fs");
const { decryptSops } = require("sops-age");

const [sealed, identityFile] = process.argv.slice(2);
const secretKey = fs
  .readFileSync(identityFile, "utf8")
  .split("\n")
  .find((line) => line.startsWith("AGE-SECRET-KEY-1"));
decryptSops(fs.readFileSync(sealed, "utf8"), { secretKey, fileType: "yaml" })
  .then((opened) => console.log(JSON.stringify(opened, null, 2)))
  .catch((err) => {
    console.error(`sops_age.cjs: ${err.message}`);
    process.exit(1);
  });
