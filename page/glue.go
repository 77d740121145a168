package page

import (
	"bytes"
	"fmt"
	"io/fs"
	"sync"
)

// Pyodide's JavaScript glue (pyodide.asm.mjs, made by Emscripten) is served
// with one change, to the dynamic linking that every new interpreter goes
// through when its module is instantiated.
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
}

// glueName is the glue's file among Pyodide's assets.
const glueName = "pyodide.asm.mjs"

// patchGlue returns the glue src with gluePatches applied, or an error
// naming the first that does not apply: each must match exactly once.
func patchGlue(src []byte) ([]byte, error) {
	for _, p := range gluePatches {
		if n := bytes.Count(src, []byte(p.old)); n != 1 {
			return nil, fmt.Errorf("%s: the lazy-GOT patch expects %q once, found it %d times: the pinned Pyodide changed, and gluePatches (page/glue.go) must follow it", glueName, p.old, n)
		}
		src = bytes.Replace(src, []byte(p.old), []byte(p.new), 1)
	}
	return src, nil
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
