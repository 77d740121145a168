package page

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
)

// Pyodide's JavaScript glue (pyodide.asm.mjs, made by Emscripten) is served
// with three changes, to what every new interpreter goes through when its
// module is instantiated: the dynamic linking (lazyGOT, below), the compile
// of the glue's function (eagerGlue) and the handing of its exports to
// JavaScript (compactExports). gluePatches holds the first two.
//
// Emscripten keeps a global offset table (GOT): a WebAssembly.Global per
// symbol, holding a function's index in the function table or a datum's
// address, which a shared library imports ("GOT.func", "GOT.mem") to reach
// the symbols of the main module and of other libraries. As published, the
// glue fills it for every export of the main module at instantiation
// (updateGOT): some 8,500 Globals, and for each exported function not in
// the function table a new slot of the table, about 5,200 of them, in
// every worker. Only the entries some module imports are ever read: the
// main module's own (about 280), and those of a shared library that a job
// loads later. lazyGOT fills those alone: at instantiation the entries the
// main module imports, as updateGOT would; later, an export's entry when a
// library first imports it, or when a library exports a symbol of the same
// name, so that the main module's definition still comes first.
//
// An entry's value is what updateGOT gives it: addFunction reuses a
// function's slot when the function is in the table, so a function has one
// address whichever way it is reached (the GOT, dlsym). Only the slots of
// functions added by the linking are laid out otherwise, in the order the
// main module imports them, which is the same at every instantiation of the
// same module: the snapshot that workers restore is made by this glue too,
// and a function pointer in it means the same function in each of them.
// runner's TestSharedLibraryLinks loads a shared library into a restored
// interpreter and checks both.
//
// eagerGlue: the glue is one function, _createPyodideModule, which a worker
// calls once, and which holds all of Emscripten's and Pyodide's code (870
// KB as served). As published it is a function declaration, which V8
// compiles lazily: the module's compile pre-parses it to find where it
// ends, and the call parses all of it again. Written as a function expression in
// parentheses, it is compiled with the module, which V8 does for such an
// expression on the guess that it is called at once, as this one is: the
// text is parsed once. Its own functions are still compiled when first
// called. The binding, exported as before, is the same function, whose
// name is still _createPyodideModule.
var gluePatches = []struct{ old, new string }{
	// At instantiation: only the entries that the main module imports.
	{
		`updateGOT(origExports);LDSO.init();`,
		`lazyGOTExports=origExports;updateGOT(Object.fromEntries(Object.keys(GOT).filter(k=>Object.hasOwn(origExports,k)).map(k=>[k,origExports[k]])));LDSO.init();`,
	},
	// lazyGOT makes the entry of an export of the main module on demand,
	// with the value updateGOT would have given it; a library's import
	// asks for it first.
	{
		`var GOTHandler={get(weakImports,symName){var rtn=GOT[symName];`,
		`var lazyGOTExports;` +
			`var lazyGOT=sym=>{if(lazyGOTExports&&Object.hasOwn(lazyGOTExports,sym)&&!isInternalSym(sym)){var v=lazyGOTExports[sym];` +
			`var nv=typeof v=="function"?addFunction(v):typeof v.value=="number"?v:undefined;` +
			`if(nv!==undefined){GOT[sym]=new WebAssembly.Global({value:"i32",mutable:true});GOT[sym].value=nv}}return GOT[sym]};` +
			`var GOTHandler={get(weakImports,symName){var rtn=GOT[symName]??lazyGOT(symName);`,
	},
	// A library's export of a name the main module exports too does not
	// take the entry over, as it would not had the entry been made eagerly.
	{
		`var existingEntry=GOT[symName]&&GOT[symName].value!=-1;`,
		`var existingEntry=!replace&&(GOT[symName]??lazyGOT(symName))&&GOT[symName].value!=-1;`,
	},
	// The function the glue exports, which every worker calls once, is
	// compiled with the module (see eagerGlue).
	{
		`async function _createPyodideModule(moduleArg={}){`,
		`var _createPyodideModule=(async function(moduleArg={}){`,
	},
	{
		`return moduleRtn}export default _createPyodideModule;`,
		`return moduleRtn});export default _createPyodideModule;`,
	},
}

// glueName is the glue's file among Pyodide's assets.
const glueName = "pyodide.asm.mjs"

// patchGlue returns the glue src with gluePatches applied and its exports
// compacted (compactExports), or an error naming the first patch that does
// not apply: each must match exactly once.
func patchGlue(src []byte) ([]byte, error) {
	for _, p := range gluePatches {
		if n := bytes.Count(src, []byte(p.old)); n != 1 {
			return nil, fmt.Errorf("%s: a patch expects %q once, found it %d times: the pinned Pyodide changed, and gluePatches (page/glue.go) must follow it", glueName, p.old, n)
		}
		src = bytes.Replace(src, []byte(p.old), []byte(p.new), 1)
	}
	return compactExports(src)
}

// The glue hands the module's exports to JavaScript in assignWasmExports,
// which Emscripten writes as one statement per export,
//
//	_PyList_New=Module["_PyList_New"]=wasmExports["PyList_New"];
//
// some 4,900 of them (a third of the glue's 1.25 MB, with the declaration
// of the variables before it), each setting a variable of the glue's scope
// and a property of Module. Every new worker parses the function, compiles
// it in full and runs it once. About 120 of the variables are read
// anywhere else in the glue. compactExports keeps the statements of those,
// and of any statement not of that form, as they are; every other export
// becomes a name in a list that one loop sets on Module, and its variable,
// read nowhere, is no longer declared. Module gets the same properties with
// the same values as before, so code that reaches an export through Module
// (Pyodide's own, a package's) finds it as it did.
//
// A variable is kept if its name appears in the rest of the glue other than
// after a dot (a property's name): in code, a string or a comment alike,
// which may keep a few more than needed and never fewer. The one way code
// could name a variable that the text does not show is a direct eval of
// text made at run time, which the glue does for the EM_JS and EM_ASM code
// of shared libraries and for emscripten_run_script; every page and worker
// that sandpit serves the glue to has a Content-Security-Policy without
// 'unsafe-eval' (ContentSecurityPolicy, WorkerContentSecurityPolicy,
// FrameCSP), so no eval runs there, and TestGlueServed checks
// that none of them allows it.
const (
	exportsHead = "function assignWasmExports(wasmExports){"
	exportsTail = "}var wasmImports="
)

// exportStatement is one of assignWasmExports's statements of the common
// form: the variable, Module's property, the export, and for a datum the
// read of its address.
var exportStatement = regexp.MustCompile(`^([A-Za-z_$][\w$]*)=Module\["([\w$]+)"\]=wasmExports\["([\w$]+)"\](\.value>>>0)?$`)

// jsIdentifier matches a JavaScript identifier (of the ASCII letters the
// glue's names use).
var jsIdentifier = regexp.MustCompile(`[A-Za-z_$][\w$]*`)

// compactExports rewrites src's assignWasmExports and the declaration of
// its variables as the comment above says, or returns an error saying which
// part of the glue it expected and did not find.
func compactExports(src []byte) ([]byte, error) {
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%s: compacting the exports: "+format+": the pinned Pyodide changed, and compactExports (page/glue.go) must follow it", append([]any{glueName}, args...)...)
	}
	if n := bytes.Count(src, []byte(exportsHead)); n != 1 {
		return fail("expected %q once, found it %d times", exportsHead, n)
	}
	head := bytes.Index(src, []byte(exportsHead))
	body := head + len(exportsHead)
	end := bytes.Index(src[body:], []byte(exportsTail))
	if end < 0 {
		return fail("expected %q after assignWasmExports", exportsTail)
	}
	end += body
	// The declaration of the variables is the statement just before the
	// function: "var a,b,...,z;".
	decl := bytes.LastIndex(src[:head], []byte("var "))
	if decl < 0 || src[head-1] != ';' {
		return fail("expected a var declaration just before assignWasmExports")
	}
	names := strings.Split(string(src[decl+len("var "):head-1]), ",")
	for _, n := range names {
		if !jsIdentifier.MatchString(n) || jsIdentifier.FindString(n) != n {
			return fail("the declaration before assignWasmExports declares %q, not a name", n)
		}
	}

	// What the rest of the glue names.
	named := map[string]bool{}
	for _, part := range [][]byte{src[:decl], src[end:]} {
		for _, loc := range jsIdentifier.FindAllIndex(part, -1) {
			if loc[0] > 0 && part[loc[0]-1] == '.' && (loc[0] < 2 || part[loc[0]-2] != '.') {
				continue
			}
			named[string(part[loc[0]:loc[1]])] = true
		}
	}

	// A statement not of the common form is kept as it is, and so is the
	// declaration of every variable it names.
	stmts := strings.Split(string(src[body:end]), ";")
	matches := make([][]string, len(stmts))
	for i, stmt := range stmts {
		m := exportStatement.FindStringSubmatch(stmt)
		if m != nil && m[1] == m[2] && m[2] == "_"+m[3] {
			matches[i] = m
			continue
		}
		for _, loc := range jsIdentifier.FindAllStringIndex(stmt, -1) {
			if loc[0] == 0 || stmt[loc[0]-1] != '"' {
				named[stmt[loc[0]:loc[1]]] = true
			}
		}
	}
	var kept []string            // statements kept as they are
	var functions, data []string // exports the loops set on Module
	for i, m := range matches {
		switch {
		case m == nil || named[m[1]]:
			kept = append(kept, stmts[i])
		case m[4] != "":
			data = append(data, m[3])
		default:
			functions = append(functions, m[3])
		}
	}
	if len(functions) == 0 {
		return fail("found no statement of the form %s in assignWasmExports", exportStatement)
	}
	var declared []string
	for _, n := range names {
		if named[n] {
			declared = append(declared, n)
		}
	}

	var out bytes.Buffer
	out.Write(src[:decl])
	out.WriteString("var " + strings.Join(declared, ",") + ";")
	out.WriteString(exportsHead)
	out.WriteString(`for(let e of "` + strings.Join(functions, " ") + `".split(" "))Module["_"+e]=wasmExports[e];`)
	if len(data) > 0 {
		out.WriteString(`for(let e of "` + strings.Join(data, " ") + `".split(" "))Module["_"+e]=wasmExports[e].value>>>0;`)
	}
	out.WriteString(strings.Join(kept, ";"))
	out.Write(src[end:])
	return out.Bytes(), nil
}

// patchedGlue is the glue as served, made once.
var patchedGlue = sync.OnceValues(func() ([]byte, error) {
	src, err := fs.ReadFile(pyodide, "node_modules/pyodide/"+glueName)
	if err != nil {
		return nil, err
	}
	return patchGlue(src)
})

// readPyodide returns one of Pyodide's files as sandpit serves it, by its
// name in the npm package.
func readPyodide(name string) ([]byte, error) {
	if name == glueName {
		return patchedGlue()
	}
	return fs.ReadFile(pyodide, "node_modules/pyodide/"+name)
}
