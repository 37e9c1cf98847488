package datasets

import (
	"fmt"
	"strconv"
	"strings"
)

// token is one written character of an amount: a digit or one of the
// symbols $ , . - / =, or a space (a wider gap, not a character).
type token struct {
	sym     byte
	small   bool // written small and raised: the cents of "75 50/100"
	printed bool // the "$" printed on the form, not written
}

// amountTokens draws the courtesy amount of a check of the given style:
// the characters as written and the amount as a decimal string ("1234.56"
// in the US style, "1234" in the Latin one).
func amountTokens(r *rng, latin bool) (toks []token, amount string) {
	if latin {
		return latinAmount(r)
	}
	return usAmount(r)
}

// pick returns an index drawn with the given (unnormalised) weights.
func pick(r *rng, weights ...float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	u := r.float64() * sum
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

// drawValue returns a positive integer with nd digits, rounded to a
// multiple of 10^k (k < nd) with probability round.
func drawValue(r *rng, nd int, round float64) int64 {
	v := int64(1 + r.intn(9))
	for range nd - 1 {
		v = 10*v + int64(r.intn(10))
	}
	if nd > 1 && r.float64() < round {
		p := int64(1)
		for range 1 + r.intn(nd-1) {
			p *= 10
		}
		v = max(p, v/p*p)
	}
	return v
}

// groupThousands writes v with sep between groups of three digits.
func groupThousands(v int64, sep byte) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func appendText(toks []token, s string, small bool) []token {
	for i := range len(s) {
		toks = append(toks, token{sym: s[i], small: small})
	}
	return toks
}

// dollarsAndWhole returns the start of an amount of whole value v: a "$"
// printed on the check, written or none (drawn with weights dollar), then
// v, grouped by thousands with sep with probability group when it has
// them.
func dollarsAndWhole(r *rng, v int64, dollar [3]float64, group float64, sep byte) []token {
	var toks []token
	switch pick(r, dollar[:]...) {
	case 0:
		toks = append(toks, token{sym: '$', printed: true})
	case 1:
		toks = append(toks, token{sym: '$'})
	}
	whole := strconv.FormatInt(v, 10)
	if v >= 1000 && r.float64() < group {
		whole = groupThousands(v, sep)
	}
	return appendText(toks, whole, false)
}

// usAmount: "$1,234.56", "$200.00", "$75 50/100", "$1,000.--", mostly 2-4
// digits before the decimal point.
func usAmount(r *rng) ([]token, string) {
	nd := 1 + pick(r, 12, 25, 30, 22, 8, 3)
	v := drawValue(r, nd, 0.35)
	cents := 0
	switch pick(r, 45, 10, 45) {
	case 1:
		cents = 50
	case 2:
		cents = 1 + r.intn(99)
	}
	toks := dollarsAndWhole(r, v, [3]float64{65, 30, 5}, 0.75, ',')
	cc := fmt.Sprintf("%02d", cents)
	if cents == 0 {
		switch pick(r, 45, 20, 15, 10, 10) {
		case 0:
			toks = appendText(toks, "."+cc, false)
		case 1:
			toks = appendText(toks, "."+strings.Repeat("-", 1+r.intn(2)), false)
		case 2:
			toks = appendText(append(toks, token{sym: ' '}), cc+"/100", r.float64() < 0.5)
		case 3:
			toks = appendText(toks, "=", false)
		case 4:
			toks = appendText(toks, ".00-", false)
		}
	} else if r.float64() < 0.7 {
		toks = appendText(toks, "."+cc, false)
	} else {
		toks = appendText(append(toks, token{sym: ' '}), cc+"/100", r.float64() < 0.5)
	}
	return toks, fmt.Sprintf("%d.%s", v, cc)
}

// latinAmount: "1.234.-", "15.500=", "$320.-": period thousands, 2-7
// digits (mostly 4-6: pesos), often round, with a trailing guard.
func latinAmount(r *rng) ([]token, string) {
	nd := 2 + pick(r, 4, 14, 26, 30, 18, 8)
	v := drawValue(r, nd, 0.6)
	toks := dollarsAndWhole(r, v, [3]float64{40, 30, 30}, 0.8, '.')
	toks = appendText(toks, []string{"", ".-", "-", "=", ".=", "=-", "--"}[pick(r, 20, 30, 20, 15, 5, 5, 5)], false)
	return toks, strconv.FormatInt(v, 10)
}

// tokensText spells tokens as text ("$75 50/100").
func tokensText(toks []token) string {
	b := make([]byte, len(toks))
	for i, t := range toks {
		b[i] = t.sym
	}
	return string(b)
}

// AmountDigits returns the digits of a written amount: its digits in
// order, without the denominator of a fraction of cents ("$75 50/100"
// gives "7550", "1.234.-" gives "1234").
func AmountDigits(text string) string {
	text = strings.TrimSuffix(text, "/100")
	var b strings.Builder
	for i := range len(text) {
		if c := text[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

var (
	enOnes = []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	enTens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// englishWords spells 0 < v < 10^9 in English words.
func englishWords(v int64) string {
	var parts []string
	three := func(n int64) {
		if n >= 100 {
			parts = append(parts, enOnes[n/100], "hundred")
			n %= 100
		}
		switch {
		case n >= 20 && n%10 != 0:
			parts = append(parts, enTens[n/10]+"-"+enOnes[n%10])
		case n >= 20:
			parts = append(parts, enTens[n/10])
		case n > 0:
			parts = append(parts, enOnes[n])
		}
	}
	if m := v / 1000000; m > 0 {
		three(m)
		parts = append(parts, "million")
	}
	if t := v / 1000 % 1000; t > 0 {
		three(t)
		parts = append(parts, "thousand")
	}
	three(v % 1000)
	return strings.Join(parts, " ")
}

var (
	esOnes = []string{"", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
		"once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete", "dieciocho", "diecinueve",
		"veinte", "veintiuno", "veintidos", "veintitres", "veinticuatro", "veinticinco", "veintiseis",
		"veintisiete", "veintiocho", "veintinueve"}
	esTens     = []string{"", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"}
	esHundreds = []string{"", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos",
		"seiscientos", "setecientos", "ochocientos", "novecientos"}
)

// spanishWords spells 0 < v < 10^9 in Spanish words (without accents,
// which some handwriting fonts lack).
func spanishWords(v int64) string {
	var parts []string
	// three spells 0 < n < 1000; apocope shortens a final "uno" to "un"
	// (before "mil", "millones").
	three := func(n int64, apocope bool) {
		switch {
		case n == 100:
			parts = append(parts, "cien")
			return
		case n >= 100:
			parts = append(parts, esHundreds[n/100])
			n %= 100
		}
		var w string
		switch {
		case n == 0:
			return
		case n < 30:
			w = esOnes[n]
		case n%10 == 0:
			w = esTens[n/10]
		default:
			w = esTens[n/10] + " y " + esOnes[n%10]
		}
		if apocope && strings.HasSuffix(w, "uno") {
			w = strings.TrimSuffix(w, "o")
		}
		parts = append(parts, w)
	}
	if m := v / 1000000; m == 1 {
		parts = append(parts, "un millon")
	} else if m > 1 {
		three(m, true)
		parts = append(parts, "millones")
	}
	if t := v / 1000 % 1000; t == 1 {
		parts = append(parts, "mil")
	} else if t > 1 {
		three(t, true)
		parts = append(parts, "mil")
	}
	three(v%1000, false)
	return strings.Join(parts, " ")
}

// legalAmount spells the amount in words as written on the legal-amount
// line.
func legalAmount(r *rng, latin bool, amount string) string {
	whole, cents, _ := strings.Cut(amount, ".")
	v, _ := strconv.ParseInt(whole, 10, 64)
	if latin {
		return capitalize(spanishWords(v)) + " pesos"
	}
	w := capitalize(englishWords(v))
	if r.float64() < 0.5 {
		return w + " and " + cents + "/100"
	}
	return w + " & " + cents + "/100"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
		"David", "Susan", "Karen", "Daniel", "Nancy", "Paul", "Lisa", "Mark", "Sandra", "Kevin", "Ana", "Luis"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia",
		"Wilson", "Moore", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin", "Lopez"}
	companies = []string{"Acme Supply Co.", "City Water Dept.", "Green Lawn Services", "Dr. A. Patel",
		"Northside Realty", "Blue River Electric", "County Tax Collector", "St. Mark's School", "Ace Hardware"}
	memos = []string{"Rent", "Groceries", "Invoice 4471", "Dues", "Tuition", "Car repair", "Gift", "Deposit",
		"Utilities", "Acct 20-118", "Lessons", "Refund"}
	esFirst = []string{"Juan", "Maria", "Jose", "Carmen", "Pedro", "Rosa", "Luis", "Ana", "Diego", "Camila"}
	esLast  = []string{"Gonzalez", "Munoz", "Rojas", "Diaz", "Perez", "Soto", "Contreras", "Silva", "Morales"}
	esFirms = []string{"Comercial Andes Ltda.", "Inmobiliaria Sur S.A.", "Constructora Maipo", "Servicios Lago"}
	usBanks = []string{"FIRST NATIONAL BANK", "RIVERSIDE SAVINGS BANK", "LAKESHORE CREDIT UNION",
		"GOTHAM TRUST COMPANY", "PRAIRIE STATE BANK", "HARBOR COMMUNITY BANK"}
	esBanks   = []string{"BANCO AUSTRAL", "BANCO DEL PACIFICO SUR", "BANCO ANDINO", "BANCO DE LOS LAGOS"}
	usCities  = []string{"Springfield, IL 62704", "Portland, OR 97205", "Austin, TX 78701", "Dayton, OH 45402"}
	usStreets = []string{"Main St.", "Oak Ave.", "Maple Dr.", "Elm St.", "Cedar Ln.", "Park Blvd."}
	esCities  = []string{"Santiago", "Valparaiso", "Concepcion", "Temuco", "La Serena"}
	enMonths  = []string{"Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"}
	esMonths  = []string{"Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto",
		"Septiembre", "Octubre", "Noviembre", "Diciembre"}
)

func oneOf(r *rng, list []string) string { return list[r.intn(len(list))] }

// checkDate draws a date as written on a check.
func checkDate(r *rng, latin bool) string {
	d, m, y := 1+r.intn(28), r.intn(12), 2019+r.intn(8)
	switch {
	case latin && r.float64() < 0.6:
		return fmt.Sprintf("%s, %d de %s de %d", oneOf(r, esCities), d, esMonths[m], y)
	case latin:
		return fmt.Sprintf("%02d/%02d/%d", d, m+1, y)
	case r.float64() < 0.5:
		return fmt.Sprintf("%s %d, %d", enMonths[m], d, y)
	default:
		return fmt.Sprintf("%d/%d/%02d", m+1, d, y%100)
	}
}

// payee draws the name written on the payee line.
func payee(r *rng, latin bool) string {
	if latin {
		if r.float64() < 0.3 {
			return oneOf(r, esFirms)
		}
		return oneOf(r, esFirst) + " " + oneOf(r, esLast)
	}
	if r.float64() < 0.4 {
		return oneOf(r, companies)
	}
	return oneOf(r, firstNames) + " " + oneOf(r, lastNames)
}
