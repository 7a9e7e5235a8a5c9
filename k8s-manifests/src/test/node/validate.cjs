// Validates Kubernetes objects against the official schemas of the `kubernetes-models` package.
// Usage: node validate.cjs OBJECTS.json (a JSON array). Prints one line per problem and exits 1
// if there is any. kubernetes-models does not flag unknown fields, so every object is validated
// through a Proxy that records which fields the schema code reads: a field it never reads is not
// in the schema (maps such as labels are enumerated by the schema code, so their keys count).
"use strict";
const fs = require("fs");
const path = require("path");

function schemaValidator(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const modulePath = slash < 0
    ? `kubernetes-models/${apiVersion}/${kind}`
    : `kubernetes-models/${apiVersion.substring(0, slash)}/${apiVersion.substring(slash + 1)}/${kind}`;
  let file;
  try {
    file = require.resolve(modulePath);
  } catch (e) {
    return null;
  }
  // The model class wraps the compiled schema; use the schema directly, so that the model's
  // constructor (which copies every field) does not count as reading them.
  const m = /require\("([^"]*_schemas\/[A-Za-z0-9]+)(\.js)?"\)/.exec(fs.readFileSync(file, "utf8"));
  if (!m) {
    throw new Error(`${modulePath}: no schema reference found in ${file}`);
  }
  return require(path.resolve(path.dirname(file), m[1])).validate;
}

function tracked(value, reads) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  const seen = new Set();
  reads.set(value, seen);
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === "string") {
        seen.add(key);
      }
      return tracked(target[key], reads);
    },
    ownKeys(target) {
      Object.keys(target).forEach((k) => seen.add(k));
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value, reads, where, out) {
  if (value === null || typeof value !== "object") {
    return;
  }
  const seen = reads.get(value);
  for (const key of Object.keys(value)) {
    const at = Array.isArray(value) ? `${where}[${key}]` : `${where}.${key}`;
    if (!Array.isArray(value) && (!seen || !seen.has(key))) {
      out.push(`${at}: unknown field`);
      continue;
    }
    unknownFields(value[key], reads, at, out);
  }
}

const objects = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const problems = [];
for (const obj of objects) {
  const name = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const validate = schemaValidator(String(obj.apiVersion), String(obj.kind));
  if (!validate) {
    problems.push(`${name}: no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
    continue;
  }
  const reads = new Map();
  if (!validate(tracked(obj, reads))) {
    for (const e of validate.errors) {
      problems.push(`${name}: ${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
    }
    continue;
  }
  const unknown = [];
  unknownFields(obj, reads, "", unknown);
  unknown.forEach((u) => problems.push(`${name}: ${u}`));
}
problems.forEach((p) => console.log(p));
console.log(`validated ${objects.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
