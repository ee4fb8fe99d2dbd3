package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// checkExactNames walks a JSON body against the type it decodes into and
// names the first member that encoding/json would accept but the API does
// not: a name that matches a field only regardless of case ("NAME" for
// "name"), or a name given twice in one object. encoding/json takes both
// silently, which lets {"name":"a","NAME":"b"} through a schema that says
// additionalProperties: false. Free-form objects (maps) are not checked:
// their names are the customer's. A body that is not well-formed JSON is
// left to the decoder, which says where it breaks.
func checkExactNames(body []byte, v any) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	bad, _ := walkNames(dec, reflect.TypeOf(v), "")
	return bad
}

// walkNames reads one JSON value from dec, checking it against t (nil for
// a value nobody decodes, e.g. an unknown field's, which the decoder
// refuses anyway). The error is the decoder's: the body is not JSON.
func walkNames(dec *json.Decoder, t reflect.Type, path string) (*FieldError, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	t = structOrElem(t)
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if bad, err := walkNames(dec, elem, path); bad != nil || err != nil {
				return bad, err
			}
		}
		_, err := dec.Token() // ]
		return nil, err
	}
	return nil, nil
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) (*FieldError, error) {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		field := joinPath(path, name)
		if fields != nil {
			if seen[name] {
				return &FieldError{Field: field, Reason: "given more than once"}, nil
			}
			seen[name] = true
			ft, exact := fields[name]
			if !exact {
				for known := range fields {
					if strings.EqualFold(known, name) {
						return &FieldError{Field: field, Reason: "unknown field (names are case-sensitive: did you mean \"" + known + "\"?)"}, nil
					}
				}
			}
			elem = ft
		}
		if bad, err := walkNames(dec, elem, field); bad != nil || err != nil {
			return bad, err
		}
	}
	_, err := dec.Token() // }
	return nil, err
}

// structOrElem is the type a JSON value decodes into, through pointers;
// a type that decodes itself (json.Unmarshaler) is looked into only when
// it wraps one value (nullableID and the like), else it is not checked.
func structOrElem(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
			if t.Kind() == reflect.Map || t.Kind() == reflect.Slice {
				return nil // free-form data with its own decoding, e.g. models.Fields
			}
			if inner, ok := t.FieldByName("Value"); ok && t.Kind() == reflect.Struct {
				t = inner.Type
				continue
			}
			return nil
		}
		return t
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// jsonFields maps the JSON names of a struct's fields, embedded ones
// included, to their types, as encoding/json names them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			embedded := f.Type
			if embedded.Kind() == reflect.Pointer {
				embedded = embedded.Elem()
			}
			if embedded.Kind() == reflect.Struct {
				for n, ft := range jsonFields(embedded) {
					if _, shadowed := fields[n]; !shadowed {
						fields[n] = ft
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
