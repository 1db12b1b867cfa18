// gorender renders Go text/template + Sprig for the differential test
// (tests/config/gotemplate/test_differential.py): one JSON line in,
// {"template": "...", "data": <json>}, one JSON line out, {"out": "...", "err": "..."}.
// The data is decoded into interface{} as KrakenD decodes its settings files.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"text/template"

	sprig "github.com/Masterminds/sprig"
)

type request struct {
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
}

type response struct {
	Out string `json:"out"`
	Err string `json:"err"`
}

func render(req request) (out string, err string) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", "panic"
		}
	}()
	var data interface{}
	if len(req.Data) > 0 {
		if e := json.Unmarshal(req.Data, &data); e != nil {
			return "", "bad data: " + e.Error()
		}
	}
	t, e := template.New("t").Funcs(sprig.TxtFuncMap()).Parse(req.Template)
	if e != nil {
		return "", e.Error()
	}
	var buf bytes.Buffer
	if e := t.Execute(&buf, data); e != nil {
		return "", e.Error()
	}
	return buf.String(), ""
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		var resp response
		if e := json.Unmarshal(in.Bytes(), &req); e != nil {
			resp.Err = "bad request: " + e.Error()
		} else {
			resp.Out, resp.Err = render(req)
		}
		enc.Encode(resp)
		out.Flush()
	}
}
