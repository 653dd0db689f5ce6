import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goJson } from '../../src/go-format.js';
import { parseTemplate, TemplateError } from '../../src/gotemplate/template.js';

const alerts = [
  {
    scenario: 'crowdsecurity/ssh-bf',
    message: 'Ip 192.0.2.1 performed <ssh-bf> & more',
    events_count: 6,
    machine_id: 'web-1',
    source: { ip: '192.0.2.1', value: '192.0.2.1', scope: 'Ip', cn: 'FR', as_name: 'OVH SAS' },
    decisions: [
      { type: 'ban', value: '192.0.2.1', duration: '4h', scope: 'Ip', origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' },
      { type: 'captcha', value: '192.0.2.1', duration: '1h', scope: 'Ip', origin: 'cscli', scenario: 'manual' },
    ],
    meta: [{ key: 'service', value: 'ssh' }],
  },
  {
    scenario: 'crowdsecurity/http-probing',
    events_count: 1,
    source: { ip: '198.51.100.7', value: '198.51.100.7', scope: 'Ip' },
    decisions: [],
  },
];

describe('template: rendering over the alert list', () => {
  const cases: Array<[string, string, string]> = [
    ['literal text only', 'hello', 'hello'],
    ['toJson of the whole list, as Go escapes it', '{{.|toJson}}', goJson(alerts)],
    ['toJson with spaces', '{{ . | toJson }}', goJson(alerts)],
    ['toJson as a function call', '{{toJson .}}', goJson(alerts)],
    ['len of the list', '{{len .}} alerts', '2 alerts'],
    [
      'Go field names',
      '{{range .}}{{.Scenario}} {{.Source.IP}} {{.Source.Cn}} {{.EventsCount}} {{.MachineID}};{{end}}',
      'crowdsecurity/ssh-bf 192.0.2.1 FR 6 web-1;crowdsecurity/http-probing 198.51.100.7  1 ;',
    ],
    [
      'JSON key names',
      '{{range .}}{{.scenario}} {{.source.as_name}} {{.events_count}};{{end}}',
      'crowdsecurity/ssh-bf OVH SAS 6;crowdsecurity/http-probing  1;',
    ],
    ['Source.AsName maps to as_name', '{{range .}}{{.Source.AsName}}{{end}}', 'OVH SAS'],
    [
      'nested range over decisions',
      '{{range .}}{{range .Decisions}}{{.Type}} {{.Value}} {{.Duration}} {{.Scope}} {{.Origin}}|{{end}}{{end}}',
      'ban 192.0.2.1 4h Ip crowdsec|captcha 192.0.2.1 1h Ip cscli|',
    ],
    ['range else on an empty list', '{{range .}}[{{range .Decisions}}{{.Type}}{{else}}none{{end}}]{{end}}', '[bancaptcha][none]'],
    [
      'range with index and element',
      '{{range $i, $a := .}}{{$i}}:{{$a.Scenario}} {{end}}',
      '0:crowdsecurity/ssh-bf 1:crowdsecurity/http-probing ',
    ],
    [
      'a variable used in an inner range',
      '{{range .}}{{$alert := .}}{{range .Decisions}}{{.Value}}@{{$alert.Source.Cn}} {{end}}{{end}}',
      '192.0.2.1@FR 192.0.2.1@FR ',
    ],
    ['$ is the alert list', '{{range .}}{{len $}}{{end}}', '22'],
    ['if on truthiness, with else', '{{range .}}{{if .Source.Cn}}cn={{.Source.Cn}}{{else}}no cn{{end}} {{end}}', 'cn=FR no cn '],
    ['if on an empty list is false', '{{range .}}{{if .Decisions}}y{{else}}n{{end}}{{end}}', 'yn'],
    ['else if chains', '{{range .}}{{if eq .EventsCount 6}}six{{else if eq .EventsCount 1}}one{{else}}?{{end}} {{end}}', 'six one '],
    ['with sets dot', '{{range .}}{{with .Source}}{{.Scope}}:{{.Value}} {{end}}{{end}}', 'Ip:192.0.2.1 Ip:198.51.100.7 '],
    [
      'not, and, or, ne',
      '{{range .}}{{if not .Source.Cn}}-{{end}}{{if and .Decisions .Source.Cn}}+{{end}}{{or .Source.Cn "??"}}{{if ne .EventsCount 6}}!{{end}} {{end}}',
      '+FR -??! ',
    ],
    ['lower, upper, default', '{{range .}}{{.Source.Cn | default "xx" | lower}}{{upper .Source.Scope}} {{end}}', 'frIP xxIP '],
    ['len of a nested list and of a string (bytes)', '{{range .}}{{len .Decisions}}/{{len .Source.Scope}} {{end}}{{len "é"}}', '2/2 0/2 2'],
    ['trim markers', '{{range .}}\n  {{- .Source.IP -}}\n  ,\n{{- end}}', '192.0.2.1,198.51.100.7,'],
    ['comments', 'a{{/* not printed */}}b {{- /* trimmed */ -}} c', 'abc'],
    ['a missing field prints nothing', '{{range .}}[{{.Nope}}{{.Source.Nope}}{{.Labels.Deeper}}]{{end}}', '[][]'],
    ['objects and lists print as JSON', '{{range .}}{{.Meta}}{{end}}', '[{"key":"service","value":"ssh"}]'],
    ['toJson of a field', '{{range .}}{{.Source | toJson}}{{end}}', `${goJson(alerts[0]!.source)}${goJson(alerts[1]!.source)}`],
    [
      'toPrettyJson, two-space indent',
      '{{range .}}{{with .Meta}}{{toPrettyJson .}}{{end}}{{end}}',
      '[\n  {\n    "key": "service",\n    "value": "ssh"\n  }\n]',
    ],
    ['literals', '{{"a\\"b"}} {{`raw {{x}}`}} {{1.5}} {{true}} {{nil}}', 'a"b raw {{x}} 1.5 true '],
    ['parenthesized pipelines', '{{if eq (len .) 2}}two{{end}}', 'two'],
    [
      'range over an object: by sorted key',
      '{{range .}}{{range $k, $v := .Source}}{{$k}}={{$v}} {{end}}{{end}}',
      'as_name=OVH SAS cn=FR ip=192.0.2.1 scope=Ip value=192.0.2.1 ip=198.51.100.7 scope=Ip value=198.51.100.7 ',
    ],
  ];

  for (const [what, source, want] of cases) {
    test(what, () => {
      assert.equal(parseTemplate('t', source).execute(alerts), want);
    });
  }

  test('env reads the environment given to the loader, and nothing else', () => {
    const tpl = parseTemplate('t', '{{env "HOOK_TAG"}}|{{env "HOME"}}', { env: { HOOK_TAG: 'prod' } });
    assert.equal(tpl.execute([]), 'prod|');
  });

  test('goJson escapes like Go json.Marshal', () => {
    assert.equal(goJson({ m: '<a> & b\u2028' }), '{"m":"\\u003ca\\u003e \\u0026 b\\u2028"}');
    assert.equal(goJson(undefined), 'null');
  });
});

describe('template: parse errors, as Go words them', () => {
  const cases: Array<[string, string]> = [
    ['{{range .}}x', 'template: n:1: unexpected EOF'],
    ['{{if .}}x', 'template: n:1: unexpected EOF'],
    ['x{{end}}', 'template: n:1: unexpected {{end}}'],
    ['{{else}}', 'template: n:1: unexpected {{else}}'],
    ['{{if .}}a{{else}}b{{else}}c{{end}}', 'template: n:1: unexpected {{else}}'],
    ['a\n{{ .Scenario', 'template: n:2: unclosed action'],
    ['{{printf "%s" .}}', 'template: n:1: function "printf" not defined'],
    ['{{len}}', 'template: n:1: wrong number of args for len: want 1 got 0'],
    ['{{. | len .}}', 'template: n:1: wrong number of args for len: want 1 got 2'],
    ['{{.Scenario | .Message}}', "template: n:1: can't give argument to non-function .Message"],
    ['{{$alert.Scenario}}', 'template: n:1: undefined variable "$alert"'],
    ['{{range .}}{{$a := .}}{{end}}{{$a}}', 'template: n:1: undefined variable "$a"'],
    ['{{if}}x{{end}}', 'template: n:1: missing value for if'],
    ['{{range}}x{{end}}', 'template: n:1: missing value for range'],
    ['{{}}', 'template: n:1: missing value for command'],
    ['{{"abc}}', 'template: n:1: unterminated quoted string'],
    ['{{/* open', 'template: n:1: unclosed comment'],
    ['{{template "x"}}', 'template: n:1: {{template}} is not supported by Lapis'],
    ['{{.Source.}}', 'template: n:1: bad character after ".Source"'],
    ['{{ # }}', 'template: n:1: unexpected "#" in command'],
    ['{{$x = 1}}', 'template: n:1: assigning to a variable ($x = …) is not supported'],
  ];
  for (const [source, message] of cases) {
    test(JSON.stringify(source), () => {
      assert.throws(
        () => parseTemplate('n', source),
        (err: unknown) => {
          assert.ok(err instanceof TemplateError);
          assert.equal(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('template: execution errors', () => {
  test('a field of a string', () => {
    assert.throws(() => parseTemplate('n', '{{range .}}\n{{.Scenario.Name}}{{end}}').execute(alerts), {
      name: 'TemplateError',
      message: "template: n:2: executing at <.Scenario.Name>: can't evaluate field Name in type string",
    });
  });

  test('range over a string', () => {
    assert.throws(() => parseTemplate('n', '{{range .}}{{range .Scenario}}{{end}}{{end}}').execute(alerts), {
      message: "template: n:1: executing at <range .Scenario>: range can't iterate over crowdsecurity/ssh-bf",
    });
  });

  test('len of a number', () => {
    assert.throws(() => parseTemplate('n', '{{range .}}{{len .EventsCount}}{{end}}').execute(alerts), {
      message: 'template: n:1: executing at <len .EventsCount>: error calling len: len of type number',
    });
  });
});
