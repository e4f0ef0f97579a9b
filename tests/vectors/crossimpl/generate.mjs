#!/usr/bin/env node
/*
 * Cross-implementation test vector generator (openler).
 *
 * Produces canonical N-Quads (RDFC-1.0) and signed Open Badges 3.0
 * credentials with the Digital Bazaar JavaScript reference stack, so that the
 * Python implementation can be checked byte-for-byte against it.
 *
 * This file is openler's own code. The npm packages are NOT vendored: install
 * them in a scratch directory outside the repository and run from there:
 *
 *   mkdir -p /tmp/xvec && cd /tmp/xvec && npm init -y
 *   npm install jsonld@9.0.0 rdf-canonize@5.0.0 @digitalbazaar/vc@7.3.0 \
 *     @digitalbazaar/data-integrity@2.5.0 \
 *     @digitalbazaar/eddsa-rdfc-2022-cryptosuite@1.3.0 \
 *     @digitalbazaar/ed25519-multikey@1.3.1 \
 *     @digitalbazaar/ed25519-signature-2020@5.4.0 \
 *     @digitalbazaar/ed25519-verification-key-2020@4.2.0 \
 *     @digitalbazaar/eddsa-jcs-2022-cryptosuite@1.0.0
 *   cd /tmp/xvec && node /work/main/tests/vectors/crossimpl/generate.mjs
 *
 * Versions used to produce the committed outputs (node v20.20.2, npm 11.19.1):
 *   jsonld 9.0.0, rdf-canonize 5.0.0, @digitalbazaar/vc 7.3.0,
 *   @digitalbazaar/data-integrity 2.5.0 (jsonld-signatures 11.6.0),
 *   @digitalbazaar/eddsa-rdfc-2022-cryptosuite 1.3.0,
 *   @digitalbazaar/ed25519-multikey 1.3.1,
 *   @digitalbazaar/ed25519-signature-2020 5.4.0,
 *   @digitalbazaar/ed25519-verification-key-2020 4.2.0,
 *   @digitalbazaar/eddsa-jcs-2022-cryptosuite 1.0.0
 *
 * Packages are resolved from the CURRENT WORKING DIRECTORY's node_modules
 * (not from this file's location), so the repository never needs them.
 *
 * Environment overrides:
 *   XVEC_STANDARDS  default /work/shared/standards
 *   XVEC_OUT        default: the directory containing this script
 *
 * Network: none. The document loader serves only the files listed in
 * <standards>/contexts/index.json and throws for every other URL. The
 * verification-only loader additionally answers the single did:key of the
 * W3C test key with a locally built DID document.
 */
import {createRequire} from 'node:module';
import {createHash, createPublicKey, verify as cryptoVerify} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

// ---------------------------------------------------------------------------
// package resolution (from cwd)
// ---------------------------------------------------------------------------
const cwdRequire = createRequire(path.join(process.cwd(), 'package.json'));
async function load(spec) {
  return import(pathToFileURL(cwdRequire.resolve(spec)).href);
}
function pkgVersion(spec) {
  // walk up from the resolved entry point to the package's package.json
  let dir = path.dirname(cwdRequire.resolve(spec));
  for(;;) {
    const p = path.join(dir, 'package.json');
    if(fs.existsSync(p)) {
      const j = JSON.parse(fs.readFileSync(p, 'utf8'));
      if(j.name === spec) {
        return j.version;
      }
    }
    const up = path.dirname(dir);
    if(up === dir) {
      return null;
    }
    dir = up;
  }
}

const jsonldMod = await load('jsonld');
const jsonld = jsonldMod.default ?? jsonldMod;
const vc = await load('@digitalbazaar/vc');
const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
const {cryptosuite: eddsaRdfc2022} =
  await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
const {Ed25519Signature2020} =
  await load('@digitalbazaar/ed25519-signature-2020');
let jcs = null;
try {
  jcs = await load('@digitalbazaar/eddsa-jcs-2022-cryptosuite');
} catch(e) {
  console.warn('eddsa-jcs-2022-cryptosuite not installed; skipping JCS');
}

const PACKAGES = [
  'jsonld', 'rdf-canonize', '@digitalbazaar/vc',
  '@digitalbazaar/data-integrity', 'jsonld-signatures',
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/ed25519-multikey',
  '@digitalbazaar/ed25519-signature-2020',
  '@digitalbazaar/ed25519-verification-key-2020',
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
];
const versions = {};
for(const p of PACKAGES) {
  try {
    versions[p] = pkgVersion(p);
  } catch(e) {
    versions[p] = null;
  }
}

// ---------------------------------------------------------------------------
// paths, key, constants
// ---------------------------------------------------------------------------
const HERE = path.dirname(fileURLToPath(import.meta.url));
const STANDARDS = process.env.XVEC_STANDARDS || '/work/shared/standards';
const OUT = process.env.XVEC_OUT || HERE;
const CONTEXT_DIR = path.join(STANDARDS, 'contexts');
const KEY_FILE = path.join(STANDARDS, 'vectors/vc-di-eddsa/keyPair.json');

const CREATED = '2025-01-01T00:00:00Z';
const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_CTX = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const ED2020_CTX = 'https://w3id.org/security/suites/ed25519-2020/v1';

const keyPairJson = JSON.parse(fs.readFileSync(KEY_FILE, 'utf8'));
const PUB = keyPairJson.publicKeyMultibase;
const DID = `did:key:${PUB}`;
const VM = `${DID}#${PUB}`;

// ---------------------------------------------------------------------------
// document loaders
// ---------------------------------------------------------------------------
const index = JSON.parse(
  fs.readFileSync(path.join(CONTEXT_DIR, 'index.json'), 'utf8'));
const CONTEXTS = new Map();
for(const {url, file, sha256} of index.contexts) {
  const bytes = fs.readFileSync(path.join(CONTEXT_DIR, file));
  const digest = createHash('sha256').update(bytes).digest('hex');
  if(sha256 && digest !== sha256) {
    throw new Error(`sha256 mismatch for ${file}`);
  }
  CONTEXTS.set(url, JSON.parse(bytes.toString('utf8')));
}
const loaderLog = new Set();

async function documentLoader(url) {
  if(CONTEXTS.has(url)) {
    loaderLog.add(url);
    return {
      contextUrl: null,
      documentUrl: url,
      // fresh copy each time so nothing can mutate the cache
      document: structuredClone(CONTEXTS.get(url))
    };
  }
  throw new Error(`documentLoader: refusing to load "${url}" (not local)`);
}

// verification only: also resolves the one did:key of the W3C test key
function makeVerifyLoader(vmType) {
  const vmObj = vmType === 'Multikey' ? {
    id: VM, type: 'Multikey', controller: DID, publicKeyMultibase: PUB
  } : {
    id: VM, type: 'Ed25519VerificationKey2020', controller: DID,
    publicKeyMultibase: PUB
  };
  const keyCtx = vmType === 'Multikey' ?
    'https://w3id.org/security/multikey/v1' : ED2020_CTX;
  const didDoc = {
    '@context': ['https://www.w3.org/ns/did/v1', keyCtx],
    id: DID,
    verificationMethod: [vmObj],
    authentication: [VM],
    assertionMethod: [VM],
    capabilityInvocation: [VM],
    capabilityDelegation: [VM]
  };
  return async url => {
    if(url === DID) {
      return {contextUrl: null, documentUrl: url,
        document: structuredClone(didDoc)};
    }
    if(url === VM) {
      return {contextUrl: null, documentUrl: url,
        document: {'@context': keyCtx, ...structuredClone(vmObj)}};
    }
    return documentLoader(url);
  };
}

// ---------------------------------------------------------------------------
// small helpers (own code)
// ---------------------------------------------------------------------------
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58Decode(s) {
  let n = 0n;
  for(const c of s) {
    const v = B58.indexOf(c);
    if(v < 0) {
      throw new Error('bad base58');
    }
    n = n * 58n + BigInt(v);
  }
  const bytes = [];
  while(n > 0n) {
    bytes.unshift(Number(n % 256n));
    n /= 256n;
  }
  for(const c of s) {
    if(c !== '1') {
      break;
    }
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}
const sha256hex = s => createHash('sha256').update(s, 'utf8').digest('hex');
const sha256buf = s => createHash('sha256').update(s, 'utf8').digest();
const U = cp => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');

const pubRaw = base58Decode(PUB.slice(1));
if(pubRaw[0] !== 0xed || pubRaw[1] !== 0x01 || pubRaw.length !== 34) {
  throw new Error('unexpected public key multicodec');
}
const pubKeyObject = createPublicKey({
  format: 'jwk',
  key: {kty: 'OKP', crv: 'Ed25519',
    x: pubRaw.subarray(2).toString('base64url')}
});

async function canonize(doc) {
  return jsonld.canonize(doc, {
    algorithm: 'RDFC-1.0',
    format: 'application/n-quads',
    safe: true,
    documentLoader
  });
}

// Independent check of an RDFC-based proof (eddsa-rdfc-2022 or
// Ed25519Signature2020): recompute both canonical forms and verify the
// Ed25519 signature over sha256(proofConfig) || sha256(document).
async function independentRdfcCheck(signed) {
  const {proof, ...doc} = structuredClone(signed);
  const {proofValue, ...proofConfig} = proof;
  proofConfig['@context'] = doc['@context'];
  const proofNquads = await canonize(proofConfig);
  const docNquads = await canonize(doc);
  const data = Buffer.concat([sha256buf(proofNquads), sha256buf(docNquads)]);
  const sig = base58Decode(proofValue.slice(1));
  const ok = cryptoVerify(null, data, pubKeyObject, sig);
  return {ok, proofNquads, docNquads, data};
}

function suiteRdfc() {
  return new DataIntegrityProof({
    signer: signer(), date: CREATED, cryptosuite: eddsaRdfc2022
  });
}
function suiteEd2020() {
  return new Ed25519Signature2020({signer: signer(), date: CREATED});
}
function suiteJcs() {
  return new DataIntegrityProof({
    signer: signer(), date: CREATED, cryptosuite: jcs.createSignCryptosuite()
  });
}
let _keyPair;
function signer() {
  return _keyPair.signer();
}
_keyPair = await Ed25519Multikey.from({
  id: VM, controller: DID,
  publicKeyMultibase: PUB,
  secretKeyMultibase: keyPairJson.privateKeyMultibase
});

async function issue(credential, suite) {
  return vc.issue({
    credential: structuredClone(credential), suite, documentLoader
  });
}
async function verifyWithVc(signed, kind) {
  let suite;
  let loader;
  if(kind === 'eddsa-rdfc-2022') {
    suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
    loader = makeVerifyLoader('Multikey');
  } else if(kind === 'eddsa-jcs-2022') {
    suite = new DataIntegrityProof({
      cryptosuite: jcs.createVerifyCryptosuite()});
    loader = makeVerifyLoader('Multikey');
  } else {
    suite = new Ed25519Signature2020();
    loader = makeVerifyLoader('Ed25519VerificationKey2020');
  }
  const r = await vc.verifyCredential({
    credential: structuredClone(signed), suite, documentLoader: loader
  });
  if(!r.verified) {
    const err = r.error?.errors?.[0] ?? r.error;
    throw new Error(`vc.verifyCredential failed (${kind}): ${err?.message}`);
  }
  return true;
}

// ---------------------------------------------------------------------------
// self-test: reproduce the W3C vc-di-eddsa vectors with this exact setup
// ---------------------------------------------------------------------------
async function selfTest() {
  const dir = path.join(STANDARDS, 'vectors/vc-di-eddsa');
  const unsigned = JSON.parse(
    fs.readFileSync(path.join(dir, 'unsigned.json'), 'utf8'));
  const w3cCreated = '2023-02-24T23:36:38Z';
  const results = {};
  const checks = [
    ['eddsa-rdfc-2022', 'eddsa-rdfc-2022/signedDataInt.json',
      () => new DataIntegrityProof({signer: signer(), date: w3cCreated,
        cryptosuite: eddsaRdfc2022}), unsigned],
    ['Ed25519Signature2020', 'Ed25519Signature2020/signedEdSig.json',
      () => new Ed25519Signature2020({signer: signer(), date: w3cCreated}),
      {...unsigned, '@context': [...unsigned['@context'], ED2020_CTX]}]
  ];
  if(jcs) {
    checks.push(['eddsa-jcs-2022', 'eddsa-jcs-2022/signedJCS.json',
      () => new DataIntegrityProof({signer: signer(), date: w3cCreated,
        cryptosuite: jcs.createSignCryptosuite()}), unsigned]);
  }
  for(const [name, file, mk, input] of checks) {
    const expected = JSON.parse(
      fs.readFileSync(path.join(dir, file), 'utf8'));
    const got = await issue(input, mk());
    const same = got.proof.proofValue === expected.proof.proofValue;
    results[name] = {
      file: `vectors/vc-di-eddsa/${file}`,
      proofValueMatches: same
    };
    if(!same) {
      throw new Error(`self-test failed for ${name}: ` +
        `${got.proof.proofValue} != ${expected.proof.proofValue}`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// case construction
// ---------------------------------------------------------------------------
let caseCounter = 0;
function baseCredential({
  slug, name = 'Example Achievement',
  description = 'An achievement used for cross-implementation vectors.',
  narrative = 'Complete the cross-implementation vector exercise.',
  achievementExtra = {}, subjectExtra = {}
}) {
  caseCounter++;
  const n = String(caseCounter).padStart(12, '0');
  return {
    '@context': [VC_V2, OB_CTX],
    id: `urn:uuid:00000000-0000-4000-8000-${n}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {
      id: DID,
      type: ['Profile'],
      name: 'Example Issuer'
    },
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: {
      id: 'did:example:learner-0001',
      type: ['AchievementSubject'],
      achievement: {
        id: `https://example.edu/achievements/${slug}`,
        type: ['Achievement'],
        name,
        description,
        criteria: {narrative},
        ...achievementExtra
      },
      ...subjectExtra
    }
  };
}

const cases = [];
function add({name, group, description, input, inputJsonText, codePoints,
  ed2020 = false, jcsSign = false}) {
  if(cases.some(c => c.name === name)) {
    throw new Error(`duplicate case name ${name}`);
  }
  cases.push({name, group, description, input, inputJsonText, codePoints,
    ed2020, jcsSign});
}

// selection of the optional extra signatures
const ED2020_CASES = new Set([
  'ascii-basic', 'c0-U+0000', 'c0-U+0008', 'c0-U+000C', 'c0-U+001F',
  'del-U+007F', 'quote-and-backslash', 'emoji-astral', 'accents-nfd',
  'bnode-results-identical-2', 'number-creditsAvailable-1.5'
]);
const JCS_CASES = new Set([
  'ascii-basic', 'c0-U+0000', 'c0-U+001F', 'del-U+007F',
  'quote-and-backslash', 'emoji-astral', 'accents-nfd',
  'number-creditsAvailable-1e21', 'number-creditsAvailable--0',
  'number-creditsAvailable-1e-7', 'number-creditsAvailable-1.0',
  'lone-surrogate-U+D800'
]);
function addCase(c) {
  add({...c, ed2020: ED2020_CASES.has(c.name), jcsSign: JCS_CASES.has(c.name)});
}

// --- ascii
addCase({
  name: 'ascii-basic', group: 'ascii',
  description: 'Plain printable ASCII only; baseline.',
  input: baseCredential({slug: 'ascii-basic',
    name: 'Intro to Cross-Implementation Testing (Level 1)'})
});
addCase({
  name: 'ascii-all-printable', group: 'ascii',
  description: 'Every printable ASCII character U+0020..U+007E in the ' +
    'achievement name (includes " and \\).',
  input: baseCredential({slug: 'ascii-all-printable',
    name: Array.from({length: 0x7f - 0x20},
      (_, i) => String.fromCharCode(0x20 + i)).join('')})
});
addCase({
  name: 'empty-string', group: 'ascii',
  description: 'Empty achievement name (empty literal "").',
  input: baseCredential({slug: 'empty-string', name: ''})
});
addCase({
  name: 'leading-trailing-spaces', group: 'ascii',
  description: 'Leading/trailing/multiple spaces must be preserved.',
  input: baseCredential({slug: 'leading-trailing-spaces',
    name: '  Spaced   Out  '})
});

// --- every C0 control character, one document each
for(let cp = 0; cp <= 0x1f; cp++) {
  const ch = String.fromCharCode(cp);
  addCase({
    name: `c0-${U(cp)}`, group: 'c0-control',
    description: `C0 control character ${U(cp)} embedded in the middle ` +
      'of achievement.name ("Skill" + char + "Badge").',
    codePoints: [U(cp)],
    input: baseCredential({slug: `c0-${cp.toString(16)}`,
      name: `Skill${ch}Badge`})
  });
}
addCase({
  name: 'del-U+007F', group: 'c0-control',
  description: 'DEL U+007F in the middle of achievement.name.',
  codePoints: ['U+007F'],
  input: baseCredential({slug: 'del-7f', name: 'Skill\u007fBadge'})
});
addCase({
  name: 'c0-all-and-del', group: 'c0-control',
  description: 'All of U+0000..U+001F followed by U+007F in one ' +
    'achievement.name.',
  codePoints: [...Array.from({length: 32}, (_, i) => U(i)), 'U+007F'],
  input: baseCredential({slug: 'c0-all',
    name: 'All[' + Array.from({length: 32},
      (_, i) => String.fromCharCode(i)).join('') + '\u007f]End'})
});

// --- C1 controls (should pass through unescaped)
for(const cp of [0x80, 0x85, 0x9f]) {
  addCase({
    name: `c1-${U(cp)}`, group: 'c1-control',
    description: `C1 control ${U(cp)} in the middle of achievement.name.`,
    codePoints: [U(cp)],
    input: baseCredential({slug: `c1-${cp.toString(16)}`,
      name: `Skill${String.fromCharCode(cp)}Badge`})
  });
}
addCase({
  name: 'c1-all', group: 'c1-control',
  description: 'All C1 controls U+0080..U+009F in one achievement.name.',
  codePoints: Array.from({length: 32}, (_, i) => U(0x80 + i)),
  input: baseCredential({slug: 'c1-all',
    name: 'C1[' + Array.from({length: 32},
      (_, i) => String.fromCharCode(0x80 + i)).join('') + ']'})
});

// --- ECHAR-relevant printable characters and whitespace mix
addCase({
  name: 'backslash', group: 'echar',
  description: 'Backslashes, including sequences that look like escapes ' +
    '(\\n, \\u0041, trailing \\).',
  input: baseCredential({slug: 'backslash',
    name: 'C:\\path\\to\\badge \\n \\u0041 \\\\ end\\'})
});
addCase({
  name: 'double-quote', group: 'echar',
  description: 'Double quotes inside the literal.',
  input: baseCredential({slug: 'double-quote',
    name: 'The "Best" Badge ""'})
});
addCase({
  name: 'quote-and-backslash', group: 'echar',
  description: 'Mixed \\" and \\\\ sequences.',
  input: baseCredential({slug: 'quote-and-backslash',
    name: 'say \\"hi\\" and "\\"'})
});
addCase({
  name: 'tab-newline-cr-mix', group: 'echar',
  description: 'TAB, LF, CR, CRLF mix in name, description and narrative.',
  input: baseCredential({slug: 'tab-newline-cr-mix',
    name: 'Line1\tTabbed\r\nLine2\nLine3\rEnd\t',
    description: '\n\nLeading newlines\r\n\ttab-indented\n',
    narrative: '1.\tDo this\r\n2.\tDo that\r\n'})
});
addCase({
  name: 'single-quote', group: 'echar',
  description: 'Apostrophes (ECHAR \\\' exists in the grammar but canonical ' +
    'form must NOT escape it).',
  input: baseCredential({slug: 'single-quote', name: "Learner's 'Badge'"})
});

// --- Unicode text
addCase({
  name: 'accents-nfc', group: 'unicode',
  description: 'Latin accents, precomposed (NFC). Compare with accents-nfd: ' +
    'no normalization is applied, so the canonical forms differ.',
  input: baseCredential({slug: 'accents',
    name: 'Caf\u00e9 \u00c9l\u00e8ve na\u00efve \u00c5ngstr\u00f6m Ni\u00f1o'
      .normalize('NFC')})
});
addCase({
  name: 'accents-nfd', group: 'unicode',
  description: 'Same text as accents-nfc but decomposed (NFD, combining ' +
    'marks). Must be kept byte-for-byte (no normalization).',
  input: baseCredential({slug: 'accents',
    name: 'Caf\u00e9 \u00c9l\u00e8ve na\u00efve \u00c5ngstr\u00f6m Ni\u00f1o'
      .normalize('NFD')})
});
addCase({
  name: 'cjk', group: 'unicode',
  description: 'Chinese, Japanese (kana+kanji), Korean, full-width space ' +
    'U+3000 and CJK Ext-B astral ideograph U+20BB7.',
  input: baseCredential({slug: 'cjk',
    name: '\u4e2d\u6587\u5fbd\u7ae0\u3000\u65e5\u672c\u8a9e\u306e' +
      '\u30d0\u30c3\u30b8 \ud55c\uad6d\uc5b4 \ubc30\uc9c0 \u{20BB7}'})
});
addCase({
  name: 'emoji-astral', group: 'unicode',
  description: 'Astral-plane emoji (surrogate pairs in UTF-16, 4 bytes in ' +
    'UTF-8).',
  input: baseCredential({slug: 'emoji-astral',
    name: '\u{1F3C6} Award \u{1F393} \u{1F600}\u{1F4AF}'})
});
addCase({
  name: 'emoji-zwj-sequences', group: 'unicode',
  description: 'ZWJ sequences, variation selector-16, skin-tone modifier, ' +
    'flag (regional indicators), keycap.',
  input: baseCredential({slug: 'emoji-zwj',
    name: '\u{1F469}\u200D\u{1F4BB} \u{1F468}\u200D\u{1F469}\u200D' +
      '\u{1F467}\u200D\u{1F466} \u{1F3F3}\uFE0F\u200D\u{1F308} ' +
      '\u{1F44D}\u{1F3FD} \u{1F1FA}\u{1F1F8} 1\uFE0F\u20E3'})
});
addCase({
  name: 'rtl-arabic-hebrew', group: 'unicode',
  description: 'Right-to-left Arabic and Hebrew mixed with LTR text and ' +
    'digits.',
  input: baseCredential({slug: 'rtl',
    name: '\u0634\u0627\u0631\u0629 \u0627\u0644\u0625\u0646\u062c\u0627' +
      '\u0632 2024 \u05ea\u05d2 \u05d4\u05d9\u05e9\u05d2 Badge'})
});
addCase({
  name: 'bidi-controls', group: 'unicode',
  description: 'Bidi formatting characters LRM, RLM, LRE..RLO (U+202A-' +
    'U+202E), LRI..PDI (U+2066-U+2069); must pass through unescaped.',
  input: baseCredential({slug: 'bidi',
    name: 'a\u200Eb\u200Fc\u202Ad\u202Be\u202Cf\u202Dg\u202Eh\u2066i' +
      '\u2067j\u2068k\u2069l'})
});
addCase({
  name: 'lone-combining-mark', group: 'unicode',
  description: 'A combining acute accent U+0301 with no base character, at ' +
    'the start of the name, and a name that is only U+0301 in the ' +
    'description.',
  input: baseCredential({slug: 'lone-combining',
    name: '\u0301Badge', description: '\u0301'})
});
addCase({
  name: 'line-separator-U+2028', group: 'unicode',
  description: 'LINE SEPARATOR U+2028 (not escaped in N-Quads; raw in JSON).',
  codePoints: ['U+2028'],
  input: baseCredential({slug: 'u2028', name: 'Skill\u2028Badge'})
});
addCase({
  name: 'paragraph-separator-U+2029', group: 'unicode',
  description: 'PARAGRAPH SEPARATOR U+2029.',
  codePoints: ['U+2029'],
  input: baseCredential({slug: 'u2029', name: 'Skill\u2029Badge'})
});
addCase({
  name: 'bom-U+FEFF', group: 'unicode',
  description: 'ZERO WIDTH NO-BREAK SPACE / BOM U+FEFF at the start and in ' +
    'the middle of the name.',
  codePoints: ['U+FEFF'],
  input: baseCredential({slug: 'ufeff', name: '\uFEFFSkill\uFEFFBadge'})
});
addCase({
  name: 'noncharacters-U+FFFE-U+FFFF', group: 'unicode',
  description: 'Noncharacters U+FFFE and U+FFFF. RDFC-1.0 (Appendix A) says ' +
    'characters not matching XML 1.1 Char must use UCHAR; rdf-canonize ' +
    'emits them raw. The vector records what rdf-canonize does.',
  codePoints: ['U+FFFE', 'U+FFFF'],
  input: baseCredential({slug: 'nonchar', name: 'Skill\uFFFEBad\uFFFFge'})
});
addCase({
  name: 'lone-surrogate-U+D800', group: 'unicode',
  description: 'Unpaired high surrogate U+D800 (not well-formed Unicode; ' +
    'JSON "\\ud800"). Node hashes/signs it as UTF-8 EF BF BD (U+FFFD ' +
    'replacement), the canonical string still holds the lone surrogate. ' +
    'A Python implementation will likely reject it instead.',
  codePoints: ['U+D800'],
  input: baseCredential({slug: 'lone-surrogate', name: 'Skill\uD800Badge'})
});
{
  const unit = 'Lorem ipsum dolor sit amet, \u00e9\u00e8 \u4e2d ' +
    'consectetur. ';
  let s = '';
  while(s.length < 5000) {
    s += unit;
  }
  s = s.slice(0, 5000);
  addCase({
    name: 'long-string-5000', group: 'unicode',
    description: 'achievement.description of exactly 5000 UTF-16 code ' +
      'units / code points (BMP only, mixed ASCII/Latin-1/CJK).',
    input: baseCredential({slug: 'long', description: s})
  });
}

// --- numbers (achievement.creditsAvailable is typed xsd:float in the OB
//     context) plus credentialSubject.result. The JSON text is the source of
//     truth here: JSON.parse/JSON.stringify is lossy for -0 and 1e21.
const NUMBERS = [
  ['1', 'integer 1'],
  ['1.5', 'non-integer'],
  ['0.1', 'non-integer, not exactly representable'],
  ['1e21', 'integer value >= 1e21: becomes a double lexical form'],
  ['-0', 'negative zero (JS -0, Python int 0)'],
  ['100000000000000000000', '1e20 written as an integer literal'],
  ['1.0', 'integral value written with a fraction (JS: 1; Python: float)'],
  ['1e20', '1e20 written in exponent form (JS: integer; Python: float)'],
  ['-0.0', 'negative zero written as a float'],
  ['1e-7', 'small value (JS toString switches to exponent form)'],
  ['123456789.125', 'exactly representable non-integer']
];
for(const [text, why] of NUMBERS) {
  const cred = baseCredential({
    slug: `credits-${text}`,
    achievementExtra: {creditsAvailable: '__NUM__'},
    subjectExtra: {result: [{type: ['Result'], value: `credits ${text}`}]}
  });
  const jsonText = JSON.stringify(cred, null, 2)
    .replace('"__NUM__"', text);
  addCase({
    name: `number-creditsAvailable-${text}`, group: 'numbers',
    description: `achievement.creditsAvailable = ${text} (${why}), ` +
      'xsd:float-typed term; plus one Result blank node. Use ' +
      'input_json_text (exact JSON text) as the input.',
    input: JSON.parse(jsonText),
    inputJsonText: jsonText
  });
}

// --- blank node structures
{
  const al = c => ({
    type: ['Alignment'],
    targetName: `Framework Skill A${c}`,
    targetUrl: 'https://example.org/frameworks/skills',
    targetType: 'CFItem'
  });
  addCase({
    name: 'bnode-alignments-3-one-char-diff', group: 'blank-nodes',
    description: 'Three alignment blank nodes that differ only by one ' +
      'character of targetName.',
    input: baseCredential({slug: 'bnode-align-3',
      achievementExtra: {alignment: [al('1'), al('2'), al('3')]}})
  });
  addCase({
    name: 'bnode-alignments-2-identical', group: 'blank-nodes',
    description: 'Two identical alignment blank nodes (automorphic: forces ' +
      'the Hash N-Degree Quads path).',
    input: baseCredential({slug: 'bnode-align-2-same',
      achievementExtra: {alignment: [al('1'), al('1')]}})
  });
}
addCase({
  name: 'bnode-results-identical-2', group: 'blank-nodes',
  description: 'Two results with identical content (automorphic blank ' +
    'nodes: Hash N-Degree Quads path).',
  input: baseCredential({slug: 'bnode-results-2',
    subjectExtra: {result: [
      {type: ['Result'], value: 'Pass'},
      {type: ['Result'], value: 'Pass'}
    ]}})
});
addCase({
  name: 'bnode-results-identical-3-plus-distinct', group: 'blank-nodes',
  description: 'Three identical results plus one distinct result and two ' +
    'alignments differing by one character.',
  input: baseCredential({slug: 'bnode-results-3',
    achievementExtra: {alignment: [
      {type: ['Alignment'], targetName: 'X1', targetUrl: 'https://example.org/x'},
      {type: ['Alignment'], targetName: 'X2', targetUrl: 'https://example.org/x'}
    ]},
    subjectExtra: {result: [
      {type: ['Result'], value: '90'},
      {type: ['Result'], value: '90'},
      {type: ['Result'], value: '90'},
      {type: ['Result'], value: '91'}
    ]}})
});
addCase({
  name: 'bnode-results-control-chars', group: 'blank-nodes',
  description: 'Blank nodes whose literals differ only by control ' +
    'characters (U+0001 vs U+0002 vs U+0008): the escaping also feeds the ' +
    'first-degree hashes, so a serializer mismatch changes the blank node ' +
    'labels / ordering, not just the literal bytes.',
  codePoints: ['U+0001', 'U+0002', 'U+0008'],
  input: baseCredential({slug: 'bnode-ctrl',
    subjectExtra: {result: [
      {type: ['Result'], value: 'A\u0001'},
      {type: ['Result'], value: 'A\u0002'},
      {type: ['Result'], value: 'A\u0008'}
    ]}})
});
addCase({
  name: 'bnode-results-identical-control-chars', group: 'blank-nodes',
  description: 'Two identical results whose value contains U+000C and ' +
    'U+001F (N-degree path + escaping).',
  codePoints: ['U+000C', 'U+001F'],
  input: baseCredential({slug: 'bnode-ctrl-same',
    subjectExtra: {result: [
      {type: ['Result'], value: 'x\u000cy\u001fz'},
      {type: ['Result'], value: 'x\u000cy\u001fz'}
    ]}})
});

// --- safe mode negative control (jsonld.js must reject)
addCase({
  name: 'safe-mode-undefined-term', group: 'safe-mode',
  description: 'achievement has a property "fooBar" that no context ' +
    'defines; in safe mode jsonld.js must throw instead of dropping it. ' +
    'Records the error.',
  input: baseCredential({slug: 'safe-mode',
    achievementExtra: {fooBar: 'dropped silently without safe mode'}})
});

// ---------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------
function errInfo(e) {
  const out = {name: e?.name, message: e?.message};
  if(e?.details?.event?.code) {
    out.code = e.details.event.code;
  } else if(e?.details?.code) {
    out.code = e.details.code;
  }
  if(e?.details?.event?.details) {
    out.details = e.details.event.details;
  }
  return out;
}

const selfTestResults = await selfTest();

const out = [];
for(const c of cases) {
  const rec = {name: c.name, group: c.group, description: c.description};
  if(c.codePoints) {
    rec.code_points = c.codePoints;
  }
  rec.input = c.input;
  if(c.inputJsonText) {
    rec.input_json_text = c.inputJsonText;
  }
  let ok = true;
  try {
    rec.canonical_nquads = await canonize(structuredClone(c.input));
    rec.canonical_nquads_sha256 = sha256hex(rec.canonical_nquads);
  } catch(e) {
    ok = false;
    rec.error = errInfo(e);
  }

  // eddsa-rdfc-2022
  try {
    const signed = await issue(c.input, suiteRdfc());
    rec.signed_eddsa_rdfc_2022 = signed;
    const chk = await independentRdfcCheck(signed);
    if(!chk.ok) {
      throw new Error('independent signature check failed');
    }
    if(chk.docNquads !== rec.canonical_nquads) {
      throw new Error('document canonical form mismatch after signing');
    }
    rec.eddsa_rdfc_2022_proof_nquads = chk.proofNquads;
    rec.eddsa_rdfc_2022_verify_data_hex = chk.data.toString('hex');
    await verifyWithVc(signed, 'eddsa-rdfc-2022');
  } catch(e) {
    if(ok) {
      throw e; // canonicalized fine, so signing must succeed
    }
    rec.signed_eddsa_rdfc_2022_error = errInfo(e);
  }

  if(ok && c.ed2020) {
    const input = structuredClone(c.input);
    input['@context'] = [...input['@context'], ED2020_CTX];
    const signed = await issue(input, suiteEd2020());
    const chk = await independentRdfcCheck(signed);
    if(!chk.ok) {
      throw new Error(`Ed25519Signature2020 independent check failed`);
    }
    await verifyWithVc(signed, 'Ed25519Signature2020');
    rec.signed_ed25519_signature_2020 = signed;
    rec.ed25519_signature_2020_canonical_nquads = chk.docNquads;
    rec.ed25519_signature_2020_proof_nquads = chk.proofNquads;
  }

  if(jcs && c.jcsSign) {
    const signed = await issue(c.input, suiteJcs());
    await verifyWithVc(signed, 'eddsa-jcs-2022');
    rec.signed_eddsa_jcs_2022 = signed;
  }
  out.push(rec);
}

// ---------------------------------------------------------------------------
// write
// ---------------------------------------------------------------------------
const meta = {
  generator: 'tests/vectors/crossimpl/generate.mjs',
  command: 'cd /tmp/xvec && node /work/main/tests/vectors/crossimpl/' +
    'generate.mjs',
  node: process.version,
  packages: versions,
  key: {
    source: 'W3C vc-di-eddsa test vectors keyPair.json (public test key)',
    publicKeyMultibase: PUB,
    verificationMethod: VM
  },
  proof_created: CREATED,
  canonicalization: {
    call: "jsonld.canonize(doc, {algorithm: 'RDFC-1.0', format: " +
      "'application/n-quads', safe: true, documentLoader})"
  },
  contexts_loaded: [...loaderLog].sort(),
  self_test_w3c_vectors: selfTestResults,
  case_count: out.length,
  counts: {
    canonical_ok: out.filter(r => 'canonical_nquads' in r).length,
    canonical_error: out.filter(r => 'error' in r).length,
    signed_eddsa_rdfc_2022:
      out.filter(r => r.signed_eddsa_rdfc_2022).length,
    signed_ed25519_signature_2020:
      out.filter(r => r.signed_ed25519_signature_2020).length,
    signed_eddsa_jcs_2022: out.filter(r => r.signed_eddsa_jcs_2022).length
  }
};

fs.mkdirSync(OUT, {recursive: true});
// JSON.stringify escapes U+0000..U+001F as \uXXXX (or \b \t \n \f \r) and
// lone surrogates as \udXXX: lossless; everything else is written as UTF-8.
fs.writeFileSync(path.join(OUT, 'cases.json'),
  JSON.stringify(out, null, 2) + '\n');
fs.writeFileSync(path.join(OUT, 'meta.json'),
  JSON.stringify(meta, null, 2) + '\n');
console.log(JSON.stringify(meta.counts), 'written to', OUT);
