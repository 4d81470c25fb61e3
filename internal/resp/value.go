package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// Value is one decoded reply, RESP2 or RESP3, as a client sees it. All
// strings are copies: a Value stays valid after the input buffer is reused.
type Value struct {
	// Type is the RESP type byte: '+' simple string, '-' error, ':'
	// integer, '$' bulk string, '*' array, and the RESP3 types '_' null,
	// ',' double, '#' boolean, '(' big number, '!' blob error, '='
	// verbatim string, '%' map, '~' set, '>' push. Streamed strings and
	// aggregates (RESP3 "$?", "*?"...) decode to their ordinary type.
	Type byte
	// Null marks RESP2's null bulk string ($-1) and null array (*-1); it
	// is always set for RESP3's null (_).
	Null bool
	// Str is the text of '+', '-' (without the '-'), '$', '!', '(' (the
	// digits), ',' (the number as sent, e.g. "3.14", "inf") and '=' (the
	// payload after the "fmt:" prefix).
	Str string
	// Format is the three-letter format of a verbatim string ("txt",
	// "mkd").
	Format string
	// Int is the value of ':' and of '#' (1 for true, 0 for false).
	Int int64
	// Elems are the elements of '*', '~' and '>', and of '%' as keys and
	// values alternating. Non-nil (possibly empty) for every non-null
	// aggregate.
	Elems []Value
	// Attrs holds the RESP3 attributes ('|') that preceded the value, keys
	// and values alternating; nil when there were none.
	Attrs []Value
}

// IsError reports whether v is an error reply ('-' or RESP3's '!').
func (v Value) IsError() bool { return v.Type == '-' || v.Type == '!' }

// IsNull reports whether v is a null of either protocol.
func (v Value) IsNull() bool { return v.Null }

// IsAggregate reports whether v is an array, map, set or push (null arrays
// included).
func (v Value) IsAggregate() bool {
	switch v.Type {
	case '*', '%', '~', '>':
		return true
	}
	return false
}

// Float parses a double (','), or an integer, bulk or simple string holding
// a number; RESP3's "inf", "-inf" and "nan" are accepted.
func (v Value) Float() (float64, error) {
	if v.Type == ':' {
		return float64(v.Int), nil
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	var ne *strconv.NumError
	if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
		return f, nil
	}
	return f, err
}

// ReplyLimits bound what one reply may make the decoder allocate, so that a
// hostile or broken peer cannot make it reserve memory it never sends. The
// zero value of each field means the default given.
type ReplyLimits struct {
	// MaxBulk is the longest bulk, verbatim, blob error or streamed string
	// (512 MB, Redis's proto-max-bulk-len).
	MaxBulk int64
	// MaxLine is the longest simple string, error or other line
	// (1 MB).
	MaxLine int
	// MaxElems caps the number of values in one reply, counted over all
	// nesting levels, attributes included (16M).
	MaxElems int64
	// MaxDepth caps aggregate nesting: 1 allows an array of scalars (32).
	MaxDepth int
}

const (
	defaultReplyMaxLine  = 1 << 20
	defaultReplyMaxElems = 1 << 24
	defaultReplyMaxDepth = 32
	// bodyChunk is how much the blocking reader allocates at a time for a
	// bulk payload: memory grows with the bytes that actually arrive, not
	// with the length the header claims.
	bodyChunk = 64 << 10
)

func (l ReplyLimits) withDefaults() ReplyLimits {
	if l.MaxBulk <= 0 {
		l.MaxBulk = defaultMaxBulk
	}
	if l.MaxLine <= 0 {
		l.MaxLine = defaultReplyMaxLine
	}
	if l.MaxElems <= 0 {
		l.MaxElems = defaultReplyMaxElems
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultReplyMaxDepth
	}
	return l
}

// ParseReply decodes one reply at the start of buf. It returns the value,
// the number of bytes it took, and an error (a *ProtocolError) for
// malformed input or input beyond lim. n == 0 with a nil error means buf
// holds only the beginning of a reply: call again with more bytes. This is
// the form for event loops that peek at buffered input.
func ParseReply(buf []byte, lim ReplyLimits) (v Value, n int, err error) {
	src := &sliceSource{buf: buf}
	p := parser{src: src, lim: lim.withDefaults()}
	v, err = p.reply()
	if err == errIncomplete {
		return Value{}, 0, nil
	}
	if err != nil {
		return Value{}, 0, err
	}
	return v, src.pos, nil
}

// ReadReply reads one reply from r, blocking until it is complete. It
// returns io.EOF when r ends before the first byte of a reply,
// io.ErrUnexpectedEOF when it ends inside one, a *ProtocolError for
// malformed input or input beyond lim, and r's other errors as they come.
// After an error the stream position is undefined: close the connection.
func ReadReply(r *bufio.Reader, lim ReplyLimits) (Value, error) {
	p := parser{src: &readerSource{r: r}, lim: lim.withDefaults()}
	return p.reply()
}

// errIncomplete is the slice source's "need more bytes"; it never leaves
// this file.
var errIncomplete = errors.New("resp: incomplete reply")

// source is where the parser takes its bytes from: a buffer already in
// memory (ParseReply) or a blocking reader (ReadReply). The slices returned
// are valid only until the next call.
type source interface {
	// line returns the next line without its CRLF; longer than max is a
	// protocol error.
	line(max int) ([]byte, error)
	// body returns the next n bytes and consumes the CRLF that must
	// follow them.
	body(n int) ([]byte, error)
}

type sliceSource struct {
	buf []byte
	pos int
}

func (s *sliceSource) line(max int) ([]byte, error) {
	rest := s.buf[s.pos:]
	window := rest
	if len(window) > max+2 {
		window = window[:max+2]
	}
	nl := bytes.IndexByte(window, '\n')
	if nl < 0 {
		if len(rest) >= max+2 {
			return nil, protoErr("line too long")
		}
		return nil, errIncomplete
	}
	if nl == 0 || rest[nl-1] != '\r' {
		return nil, protoErr("line not terminated by CRLF")
	}
	s.pos += nl + 1
	return rest[:nl-1], nil
}

func (s *sliceSource) body(n int) ([]byte, error) {
	rest := s.buf[s.pos:]
	if len(rest) < n+2 {
		return nil, errIncomplete
	}
	if rest[n] != '\r' || rest[n+1] != '\n' {
		return nil, protoErr("payload not terminated by CRLF")
	}
	s.pos += n + 2
	return rest[:n], nil
}

type readerSource struct {
	r       *bufio.Reader
	started bool   // a byte of the reply was read: EOF is now unexpected
	scratch []byte // lines longer than the bufio buffer
}

func (s *readerSource) eof(err error) error {
	if err == io.EOF && s.started {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (s *readerSource) line(max int) ([]byte, error) {
	s.scratch = s.scratch[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		if len(frag) > 0 {
			s.started = true
		}
		switch err {
		case nil:
			line := frag
			if len(s.scratch) > 0 {
				s.scratch = append(s.scratch, frag...)
				line = s.scratch
			}
			if len(line) > max+2 {
				return nil, protoErr("line too long")
			}
			if len(line) < 2 || line[len(line)-2] != '\r' {
				return nil, protoErr("line not terminated by CRLF")
			}
			return line[:len(line)-2], nil
		case bufio.ErrBufferFull:
			s.scratch = append(s.scratch, frag...)
			if len(s.scratch) >= max+2 {
				// Even a '\n' next would make it too long.
				return nil, protoErr("line too long")
			}
		default:
			if len(s.scratch)+len(frag) >= max+2 {
				return nil, protoErr("line too long")
			}
			return nil, s.eof(err)
		}
	}
}

func (s *readerSource) body(n int) ([]byte, error) {
	total := n + 2
	var buf []byte
	if total <= bodyChunk {
		buf = make([]byte, total)
		if _, err := io.ReadFull(s.r, buf); err != nil {
			return nil, s.eof(unexpected(err))
		}
	} else {
		for len(buf) < total {
			// Double with what arrived, never more than the header claims.
			c := min(total-len(buf), max(bodyChunk, len(buf)))
			old := len(buf)
			buf = append(buf, make([]byte, c)...)
			if _, err := io.ReadFull(s.r, buf[old:]); err != nil {
				return nil, s.eof(unexpected(err))
			}
		}
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, protoErr("payload not terminated by CRLF")
	}
	return buf[:n], nil
}

// unexpected turns io.EOF inside a payload into io.ErrUnexpectedEOF (the
// header has been read by then).
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

type parser struct {
	src   source
	lim   ReplyLimits
	elems int64 // values decoded so far, against lim.MaxElems
}

// errEnd is the "." that closes a streamed aggregate.
var errEnd = errors.New("resp: end of streamed aggregate")

func (p *parser) reply() (Value, error) {
	v, err := p.value(0, false)
	if err == errEnd {
		return Value{}, protoErr("unexpected '.' outside a streamed aggregate")
	}
	return v, err
}

func (p *parser) count() error {
	p.elems++
	if p.elems > p.lim.MaxElems {
		return protoErr("too many elements in reply")
	}
	return nil
}

// value decodes one value at nesting depth (the number of aggregates it is
// inside). With inStream, a "." line ends the enclosing streamed aggregate
// and value returns errEnd.
func (p *parser) value(depth int, inStream bool) (Value, error) {
	var attrs []Value
	for {
		if err := p.count(); err != nil {
			return Value{}, err
		}
		line, err := p.src.line(p.lim.MaxLine)
		if err != nil {
			return Value{}, err
		}
		if len(line) == 0 {
			return Value{}, protoErr("empty reply line")
		}
		t, rest := line[0], line[1:]
		if t == '|' {
			// An attribute annotates the value that follows it.
			if depth+1 > p.lim.MaxDepth {
				return Value{}, protoErr("reply nested too deeply")
			}
			n, err := aggLen(rest)
			if err != nil {
				return Value{}, err
			}
			if n < 0 {
				return Value{}, protoErr("invalid attribute length")
			}
			kv, err := p.elements(n*2, depth+1)
			if err != nil {
				return Value{}, err
			}
			attrs = append(attrs, kv...)
			continue
		}
		v, err := p.typed(t, rest, depth, inStream)
		if err != nil {
			return Value{}, err
		}
		v.Attrs = attrs
		return v, nil
	}
}

func (p *parser) typed(t byte, rest []byte, depth int, inStream bool) (Value, error) {
	v := Value{Type: t}
	switch t {
	case '+', '-':
		v.Str = string(rest)
	case ':':
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil {
			return Value{}, protoErr("invalid integer")
		}
		v.Int = n
	case '_':
		if len(rest) != 0 {
			return Value{}, protoErr("invalid null")
		}
		v.Null = true
	case '#':
		switch string(rest) {
		case "t":
			v.Int = 1
		case "f":
		default:
			return Value{}, protoErr("invalid boolean")
		}
	case ',':
		if _, err := strconv.ParseFloat(string(rest), 64); err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return Value{}, protoErr("invalid double")
			}
		}
		v.Str = string(rest)
	case '(':
		if !isBigNumber(rest) {
			return Value{}, protoErr("invalid big number")
		}
		v.Str = string(rest)
	case '$', '!', '=':
		if t == '$' && string(rest) == "?" {
			s, err := p.streamedString()
			if err != nil {
				return Value{}, err
			}
			v.Str = s
			return v, nil
		}
		n, ok := parseCount(rest)
		if !ok {
			return Value{}, protoErr("invalid bulk length")
		}
		if n == -1 && t == '$' {
			v.Null = true
			return v, nil
		}
		if n < 0 || n > p.lim.MaxBulk {
			return Value{}, protoErr("invalid bulk length")
		}
		b, e := p.src.body(int(n))
		if e != nil {
			return Value{}, e
		}
		if t == '=' {
			if len(b) < 4 || b[3] != ':' {
				return Value{}, protoErr("invalid verbatim string")
			}
			v.Format, b = string(b[:3]), b[4:]
		}
		v.Str = string(b)
	case '*', '~', '%', '>':
		if depth+1 > p.lim.MaxDepth {
			return Value{}, protoErr("reply nested too deeply")
		}
		if string(rest) == "?" {
			elems, err := p.streamedElements(t == '%', depth+1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = elems
			return v, nil
		}
		n, err := aggLen(rest)
		if err != nil {
			return Value{}, err
		}
		if n == -1 && t == '*' {
			v.Null = true
			return v, nil
		}
		if n < 0 {
			return Value{}, protoErr("invalid multibulk length")
		}
		if t == '%' {
			n *= 2
		}
		v.Elems, err = p.elements(n, depth+1)
		if err != nil {
			return Value{}, err
		}
	case '.':
		if inStream && len(rest) == 0 {
			return Value{}, errEnd
		}
		return Value{}, protoErr("unexpected '.'")
	default:
		return Value{}, protoErr("invalid reply type '" + strconv.QuoteRune(rune(t)) + "'")
	}
	return v, nil
}

// aggLen parses an aggregate header's count (pairs for maps and
// attributes); -1 is the null array. The element budget is checked by
// elements before anything is allocated.
func aggLen(b []byte) (int64, error) {
	n, ok := parseCount(b)
	if !ok || n < -1 {
		return 0, protoErr("invalid multibulk length")
	}
	return n, nil
}

// parseCount parses the decimal of a length header strictly: an optional
// '-' and 1 to 18 digits (more than any valid length, and few enough that
// the accumulation cannot overflow).
func parseCount(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// elements decodes n values at depth.
func (p *parser) elements(n int64, depth int) ([]Value, error) {
	if n > p.lim.MaxElems-p.elems {
		return nil, protoErr("too many elements in reply")
	}
	// The initial capacity is capped: the header is only a claim.
	out := make([]Value, 0, min(n, 256))
	for i := int64(0); i < n; i++ {
		e, err := p.value(depth, false)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// streamedElements decodes a RESP3 streamed aggregate's elements up to its
// "." (for a map, only where a key would start).
func (p *parser) streamedElements(pairs bool, depth int) ([]Value, error) {
	out := []Value{}
	for {
		e, err := p.value(depth, !pairs || len(out)%2 == 0)
		if err == errEnd {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// streamedString decodes the ";len" chunks of a RESP3 streamed string up
// to the ";0" that ends it.
func (p *parser) streamedString() (string, error) {
	var out []byte
	for {
		line, err := p.src.line(p.lim.MaxLine)
		if err != nil {
			return "", err
		}
		if len(line) < 2 || line[0] != ';' {
			return "", protoErr("invalid streamed string chunk")
		}
		n, ok := parseCount(line[1:])
		if !ok || n < 0 || n > p.lim.MaxBulk-int64(len(out)) {
			return "", protoErr("invalid bulk length")
		}
		if n == 0 {
			return string(out), nil
		}
		b, err := p.src.body(int(n))
		if err != nil {
			return "", err
		}
		out = append(out, b...)
	}
}

func isBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// AppendValue encodes v onto dst in its own type (streamed values as
// ordinary ones, attributes before the value), so that ParseReply of the
// result gives v back.
func AppendValue(dst []byte, v Value) []byte {
	if len(v.Attrs) > 0 {
		dst = appendHeader(dst, '|', len(v.Attrs)/2)
		for _, a := range v.Attrs {
			dst = AppendValue(dst, a)
		}
	}
	switch v.Type {
	case '+', '-', ',', '(':
		dst = append(dst, v.Type)
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case ':':
		return AppendInt(dst, v.Int)
	case '_':
		return append(dst, '_', '\r', '\n')
	case '#':
		if v.Int != 0 {
			return append(dst, '#', 't', '\r', '\n')
		}
		return append(dst, '#', 'f', '\r', '\n')
	case '$', '!':
		if v.Null {
			return append(dst, '$', '-', '1', '\r', '\n')
		}
		dst = append(dst, v.Type)
		dst = strconv.AppendInt(dst, int64(len(v.Str)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case '=':
		return AppendVerbatim(dst, v.Format, []byte(v.Str), 3)
	case '*', '~', '%', '>':
		if v.Null {
			return append(dst, '*', '-', '1', '\r', '\n')
		}
		n := len(v.Elems)
		if v.Type == '%' {
			n /= 2
		}
		dst = appendHeader(dst, v.Type, n)
		for _, e := range v.Elems {
			dst = AppendValue(dst, e)
		}
		return dst
	}
	return dst
}
