package agreement

import (
	"fmt"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/interpreter"
)

// RuleRequest holds the request variables that rules see, as
// request.from, request.to, request.from_country, request.to_country,
// request.purpose, request.legal_basis, request.officer,
// request.search_type (strings), request.time (timestamp) and
// request.quota_used (int).
type RuleRequest struct {
	From        string // requesting party id
	To          string // requested party id
	FromCountry string // ISO 3166-1 alpha-3 of the requesting party
	ToCountry   string
	Purpose     string
	LegalBasis  string
	Officer     string // pseudonymous id of the requesting officer
	SearchType  string
	Time        time.Time
	QuotaUsed   int64 // searches of this type already made today
}

// RulePerson holds the person variables that candidate and disclose rules
// see, as person.category, person.nationality (strings),
// person.nationalities (list of strings), person.age (int, -1 when
// unknown), person.minor, person.contested and person.protected (bools).
type RulePerson struct {
	Category      string
	Nationality   string
	Nationalities []string // all known nationalities
	Age           int64    // -1 when unknown
	Minor         bool     // under minors.age_below, or age unknown
	Contested     bool     // the person contests the record
	Protected     bool     // asylum claim, refugee status or protection need
}

// The rule kinds.
const (
	OnSearch    = "search"
	OnCandidate = "candidate"
	OnDisclose  = "disclose"
)

type program struct {
	rule Rule
	prg  cel.Program
}

// Bounds on rule expressions, so that an agreement cannot make evaluation
// slow.
const (
	maxExprLen  = 4096
	maxCELCost  = 10000
	maxRules    = 200
	celNestings = 32
)

var (
	searchEnv, personEnv *cel.Env
	envErr               error
)

// requestVars and personVars declare the rule variables as qualified
// identifiers with CEL types, so that rules are type-checked when the
// agreement is parsed.
var (
	requestVars = []cel.EnvOption{
		cel.Variable("request.from", cel.StringType),
		cel.Variable("request.to", cel.StringType),
		cel.Variable("request.from_country", cel.StringType),
		cel.Variable("request.to_country", cel.StringType),
		cel.Variable("request.purpose", cel.StringType),
		cel.Variable("request.legal_basis", cel.StringType),
		cel.Variable("request.officer", cel.StringType),
		cel.Variable("request.search_type", cel.StringType),
		cel.Variable("request.time", cel.TimestampType),
		cel.Variable("request.quota_used", cel.IntType),
	}
	personVars = []cel.EnvOption{
		cel.Variable("person.category", cel.StringType),
		cel.Variable("person.nationality", cel.StringType),
		cel.Variable("person.nationalities", cel.ListType(cel.StringType)),
		cel.Variable("person.age", cel.IntType),
		cel.Variable("person.minor", cel.BoolType),
		cel.Variable("person.contested", cel.BoolType),
		cel.Variable("person.protected", cel.BoolType),
	}
)

func init() {
	searchEnv, envErr = cel.NewEnv(requestVars...)
	if envErr == nil {
		personEnv, envErr = cel.NewEnv(append(append([]cel.EnvOption{}, requestVars...), personVars...)...)
	}
}

// activation resolves the rule variables from a request and a person
// without building a map per evaluation.
type activation struct {
	req    *RuleRequest
	person *RulePerson
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	r := a.req
	switch name {
	case "request.from":
		return r.From, true
	case "request.to":
		return r.To, true
	case "request.from_country":
		return r.FromCountry, true
	case "request.to_country":
		return r.ToCountry, true
	case "request.purpose":
		return r.Purpose, true
	case "request.legal_basis":
		return r.LegalBasis, true
	case "request.officer":
		return r.Officer, true
	case "request.search_type":
		return r.SearchType, true
	case "request.time":
		return r.Time, true
	case "request.quota_used":
		return r.QuotaUsed, true
	}
	p := a.person
	if p == nil {
		return nil, false
	}
	switch name {
	case "person.category":
		return p.Category, true
	case "person.nationality":
		return p.Nationality, true
	case "person.nationalities":
		return p.Nationalities, true
	case "person.age":
		return p.Age, true
	case "person.minor":
		return p.Minor, true
	case "person.contested":
		return p.Contested, true
	case "person.protected":
		return p.Protected, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// compileRules type-checks and plans every rule once.
func compileRules(rules []Rule) ([]program, error) {
	if envErr != nil {
		return nil, fmt.Errorf("CEL environment: %v", envErr)
	}
	if len(rules) > maxRules {
		return nil, fmt.Errorf("rules: %d, at most %d", len(rules), maxRules)
	}
	out := make([]program, 0, len(rules))
	for i, r := range rules {
		where := fmt.Sprintf("rules[%d] (%s)", i, r.ID)
		var env *cel.Env
		switch r.On {
		case OnSearch:
			env = searchEnv
		case OnCandidate, OnDisclose:
			env = personEnv
		default:
			return nil, fmt.Errorf("%s.on: %q, want search, candidate or disclose", where, r.On)
		}
		if r.Expr == "" || len(r.Expr) > maxExprLen {
			return nil, fmt.Errorf("%s.expr: empty or longer than %d bytes", where, maxExprLen)
		}
		if depth := nesting(r.Expr); depth > celNestings {
			return nil, fmt.Errorf("%s.expr: nested %d deep, at most %d", where, depth, celNestings)
		}
		ast, iss := env.Compile(r.Expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%s.expr: %v", where, iss.Err())
		}
		if ast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("%s.expr: type %v, want bool", where, ast.OutputType())
		}
		prg, err := env.Program(ast, cel.CostLimit(maxCELCost), cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			return nil, fmt.Errorf("%s.expr: %v", where, err)
		}
		out = append(out, program{rule: r, prg: prg})
	}
	return out, nil
}

// nesting returns the deepest bracket nesting in s, a cheap guard against
// expressions that would exhaust the parser's stack.
func nesting(s string) int {
	depth, most := 0, 0
	for _, c := range s {
		switch c {
		case '(', '[', '{':
			depth++
			most = max(most, depth)
		case ')', ']', '}':
			depth--
		}
	}
	return most
}

// evalRules runs the rules of kind on, in file order, and returns the
// first that does not hold (or fails to evaluate: an error refuses too).
func (a *Agreement) evalRules(on string, req *RuleRequest, person *RulePerson) (Rule, bool) {
	for _, p := range a.programs {
		if p.rule.On != on {
			continue
		}
		out, _, err := p.prg.Eval(&activation{req, person})
		if err != nil {
			return p.rule, false
		}
		if ok, isBool := out.Value().(bool); !isBool || !ok {
			return p.rule, false
		}
	}
	return Rule{}, true
}
