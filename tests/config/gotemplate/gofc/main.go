// gofc renders a flexible configuration as KrakenD does (krakend-flexibleconfig template.go:
// Sprig's GenericFuncMap plus `marshal` and `include`, every FC_SETTINGS *.json decoded into
// map[string]interface{} and named after the file, every FC_TEMPLATES *.tmpl parsed into the
// set, the file executed under its base name). Usage: gofc FILE SETTINGS PARTIALS TEMPLATES
// (an empty argument: the variable is unset). Prints the rendered text, or on failure
// "ERROR: " and Go's message on stderr with exit status 1.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ERROR: "+err.Error())
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gofc FILE SETTINGS PARTIALS TEMPLATES")
		os.Exit(2)
	}
	file, settings, partials, templates := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	vars := map[string]interface{}{}
	if settings != "" {
		entries, err := os.ReadDir(settings)
		if err != nil {
			fail(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(settings, e.Name()))
			if err != nil {
				fail(err)
			}
			var v map[string]interface{}
			if err := json.Unmarshal(b, &v); err != nil {
				fail(err)
			}
			vars[strings.TrimSuffix(filepath.Base(e.Name()), ".json")] = v
		}
	}
	var subs []string
	if templates != "" {
		entries, err := os.ReadDir(templates)
		if err != nil {
			fail(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmpl") {
				subs = append(subs, filepath.Join(templates, e.Name()))
			}
		}
	}
	funcs := sprig.GenericFuncMap()
	funcs["marshal"] = func(v interface{}) string {
		a, _ := json.Marshal(v)
		return string(a)
	}
	funcs["include"] = func(v interface{}) string {
		a, _ := os.ReadFile(path.Join(partials, v.(string)))
		return string(a)
	}
	tmpl, err := template.New("config").Funcs(funcs).ParseFiles(file)
	if err != nil {
		fail(err)
	}
	if len(subs) > 0 {
		if tmpl, err = tmpl.ParseFiles(subs...); err != nil {
			fail(err)
		}
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, filepath.Base(file), vars); err != nil {
		fail(err)
	}
	os.Stdout.Write(buf.Bytes())
}
