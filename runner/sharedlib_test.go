package runner

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// sideModule returns a shared library as Emscripten makes them (a
// WebAssembly module whose first section is "dylink.0") that imports the
// global offset table's entry of each of funcs ("GOT.func", a function's
// index in the table) and of each of data ("GOT.mem", a datum's address),
// and exports get0, get1, ..., each returning one entry, funcs first; and
// a function of its own under each name of defines.
func sideModule(funcs, data, defines []string) []byte {
	leb := func(n int) []byte {
		var out []byte
		for {
			b := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				b |= 0x80
			}
			out = append(out, b)
			if n == 0 {
				return out
			}
		}
	}
	name := func(s string) []byte { return append(leb(len(s)), s...) }
	vec := func(items [][]byte) []byte {
		out := leb(len(items))
		for _, it := range items {
			out = append(out, it...)
		}
		return out
	}
	section := func(id byte, body []byte) []byte { return append(append([]byte{id}, leb(len(body))...), body...) }

	var imports, functions, exports, bodies [][]byte
	add := func(module, sym string) {
		i := len(imports)
		imports = append(imports, append(append(name(module), name(sym)...), 0x03, 0x7f, 0x01)) // global (mut i32)
		functions = append(functions, []byte{0})                                                // type 0: () -> i32
		exports = append(exports, append(name(fmt.Sprintf("get%d", i)), 0x00, byte(i)))         // func i
		body := []byte{0x00, 0x23, byte(i), 0x0b}                                               // no locals; global.get i; end
		bodies = append(bodies, append(leb(len(body)), body...))
	}
	for _, f := range funcs {
		add("GOT.func", f)
	}
	for _, d := range data {
		add("GOT.mem", d)
	}
	for _, d := range defines {
		i := len(functions)
		functions = append(functions, []byte{0})
		exports = append(exports, append(name(d), 0x00, byte(i)))
		body := []byte{0x00, 0x41, 0x00, 0x0b} // no locals; i32.const 0; end
		bodies = append(bodies, append(leb(len(body)), body...))
	}
	dylink := append(name("dylink.0"), 0x01, 0x04, 0, 0, 0, 0) // WASM_DYLINK_MEM_INFO: no memory, no table
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = append(out, section(0, dylink)...)
	out = append(out, section(1, vec([][]byte{{0x60, 0x00, 0x01, 0x7f}}))...)
	out = append(out, section(2, vec(imports))...)
	out = append(out, section(3, vec(functions))...)
	out = append(out, section(7, vec(exports))...)
	out = append(out, section(10, vec(bodies))...)
	return out
}

// TestSharedLibraryLinks loads a shared library into a job's interpreter,
// which was restored from the snapshot, and checks what it links to
// through the global offset table, which the served glue fills only on
// demand (page/glue.go): each function has one address whether reached
// through the table's entry or by dlsym, in either order; a datum's entry
// is its address; a call through the entry reaches the function; and the
// table holds the entries imported so far, not one per export. And a
// library that defines a function of the interpreter's name does not take
// the name over for the libraries loaded after it.
func TestSharedLibraryLinks(t *testing.T) {
	lib := sideModule([]string{"PyLong_FromLong", "PyLong_FromDouble"}, []string{"_Py_TrueStruct"}, nil)
	shadow := sideModule(nil, nil, []string{"PyLong_AsLong"})
	later := sideModule([]string{"PyLong_AsLong"}, nil, nil)
	code := fmt.Sprintf(`
import base64, ctypes, json
import js, pyodide_js
for name, data in [("side", %q), ("shadow", %q), ("later", %q)]:
    with open("/tmp/%%s.so" %% name, "wb") as f:
        f.write(base64.b64decode(data))
address = lambda f: ctypes.cast(f, ctypes.c_void_p).value
# PyLong_FromDouble is looked up before the library links to it;
# PyLong_FromLong after.
from_double = address(ctypes.pythonapi.PyLong_FromDouble)
lib = ctypes.CDLL("/tmp/side.so")
entry = lambda i: getattr(lib, "get%%d" %% i)() & 0xffffffff
from_long = address(ctypes.pythonapi.PyLong_FromLong)
call = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_long)(entry(0))
ctypes.CDLL("/tmp/shadow.so")
as_long = ctypes.CDLL("/tmp/later.so").get0() & 0xffffffff
print(json.dumps({
    "long": [entry(0), from_long],
    "shadowed": [as_long, address(ctypes.pythonapi.PyLong_AsLong)],
    "double": [entry(1), from_double],
    "true": [entry(2), id(True)],
    "call": call(41) + 1,
    "entries": js.Object.keys(pyodide_js._module.GOT).length,
}))
`, base64.StdEncoding.EncodeToString(lib), base64.StdEncoding.EncodeToString(shadow), base64.StdEncoding.EncodeToString(later))
	res := run(t, sandpit.Spec{Code: code})
	if res.Status != sandpit.StatusSucceeded {
		t.Fatalf("the job: %s %+v\n%s", res.Status, res.Error, res.Stderr)
	}
	var got struct {
		Long, Double, True, Shadowed []uint32
		Call                         int
		Entries                      int
	}
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("output %q: %v", res.Stdout, err)
	}
	for name, pair := range map[string][]uint32{"PyLong_FromLong": got.Long, "PyLong_FromDouble": got.Double, "_Py_TrueStruct": got.True, "PyLong_AsLong, after a library that defines it": got.Shadowed} {
		if len(pair) != 2 || pair[0] == 0 || pair[0] != pair[1] {
			t.Errorf("%s: the library's entry and the interpreter's own address differ: %v", name, pair)
		}
	}
	if got.Call != 42 {
		t.Errorf("a call through the library's entry of PyLong_FromLong(41), plus one, gave %d", got.Call)
	}
	// The main module imports about 280 entries itself; eagerly, the glue
	// makes one for each of its ~8,500 exports.
	if got.Entries == 0 || got.Entries > 1000 {
		t.Errorf("the global offset table has %d entries, want those imported so far (a few hundred)", got.Entries)
	}
}
