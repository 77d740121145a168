// What the playground keeps across reloads, in this browser's
// localStorage: the code and the settings of the next run, and the API key
// only when the user ticked "remember the key".

const name = "sandpit.playground";

// load returns what was saved, or {} when nothing (readable) was.
export function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(name) || "{}");
    return saved && typeof saved === "object" ? saved : {};
  } catch {
    return {};
  }
}

// save keeps state ({code, mode, stdin, timeout, files, remember, key});
// input files are dropped when the whole does not fit.
export function save(state) {
  const keep = { ...state };
  if (!keep.remember) delete keep.key;
  for (const attempt of [keep, { ...keep, files: [] }]) {
    try {
      localStorage.setItem(name, JSON.stringify(attempt));
      return;
    } catch {
      // Over the quota, or storage refused: try with less.
    }
  }
}
