// Editor helpers shared by this package's node dialogs. Each node's .html loads this file from Node-RED's
// resources/ route before its own script; it defines window.YoloEdgeEditor once however often it is loaded.
(function () {
  if (window.YoloEdgeEditor) return;

  /** Empty as the runtime reads it (lib/config/fields isBlank): missing, null or only white space; [] is not. */
  function blank(v) {
    return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
  }

  /** A number as the runtime reads it (lib/config/fields numberOf): a number or a numeric string; NaN for true, [] or {}. */
  function numberOf(v) {
    return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
  }

  /** Whether the runtime reads the value as text (lib/config/fields textField): anything but an object that is no list. */
  function isText(v) {
    return v === null || typeof v !== 'object' || Array.isArray(v);
  }

  /** The node's message catalog: t('label.name'), t('validation.range', { min: 0, max: 1 }). */
  function catalog(type) {
    var ns = 'node-red-contrib-yolo-edge/' + type + ':' + type + '.';
    return function (key, opts) { return RED._(ns + key, opts); };
  }

  /** Node-RED >= 3.1 passes opt and shows a returned string as the reason; 3.0 wants a boolean. */
  function check(t, ok, opt, key, args) {
    return ok ? true : (opt ? t('validation.' + key, args) : false);
  }

  /**
   * Whether Node-RED puts an environment variable in place of the value at deploy: only when the whole value, as
   * typed, is ${NAME} or $(NAME) (@node-red/runtime flows/util mapEnvVarProperties); ${HOME}/x reaches the node as written.
   */
  function isEnvVar(v) {
    return typeof v === 'string' && /^\$\{\S+\}$|^\$\(\S+\)$/.test(v);
  }

  function isNumberIn(v, min, max, integer) {
    var n = numberOf(v);
    return !blank(v) && Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
  }

  /**
   * A validator for a number in [min, max] (max may be Infinity), whole with `integer`. Blank is valid: the runtime
   * takes the field's default (lib/config/fields numberField), which showDefaults puts in the empty field. So is an
   * environment variable (isEnvVar), as in Node-RED's own number validator: the node checks its value at deploy.
   * Messages: validation.range, validation.wholeRange, validation.atLeast.
   */
  function inRange(t, min, max, integer) {
    var key = max === Infinity ? 'atLeast' : integer ? 'wholeRange' : 'range';
    return function (v, opt) {
      if (blank(v) || isEnvVar(v)) return true;
      return check(t, isNumberIn(v, min, max, integer), opt, key, { min: min, max: max });
    };
  }

  /** A field's default in a registered node definition: checks read it there rather than repeat the value. */
  function defaultOf(type, field) {
    return RED.nodes.getType(type).defaults[field].value;
  }

  /** A number field's value as the runtime reads it: the default when blank, else numberOf(v) (NaN if not a number). */
  function numberOr(v, fallback) {
    return blank(v) ? fallback : numberOf(v);
  }

  /**
   * The default of each number field as the placeholder of its empty input, so a blank field shows what it means.
   * Call from oneditprepare with the node (this) and the input id prefix ('node-input' or 'node-config-input').
   */
  function showDefaults(node, prefix) {
    var defaults = node._def.defaults;
    Object.keys(defaults).forEach(function (k) {
      if (typeof defaults[k].value === 'number') $('#' + prefix + '-' + k).attr('placeholder', String(defaults[k].value));
    });
  }

  /** A switch as the runtime reads it (lib/config/fields flag): undefined for a value it refuses. */
  function flagOf(v, fallback) {
    if (blank(v)) return fallback;
    if (v === true || v === 'true' || v === 1 || v === '1' || v === 'on') return true;
    if (v === false || v === 'false' || v === 0 || v === '0' || v === 'off') return false;
    return undefined;
  }

  /** A validator for a switch: what the runtime takes as one (flagOf), blank (its default) or an environment variable. */
  function flag(t) {
    return function (v, opt) { return check(t, isEnvVar(v) || flagOf(v, false) !== undefined, opt, 'flag'); };
  }

  /**
   * Each switch's checkbox as the runtime reads the node: Node-RED ticks it for any text ('false' too) and leaves it
   * unticked for a blank value, whose default may be on, so Done saved the other setting. Call from oneditprepare;
   * `blankIs` names the switches whose runtime default for a blank value is not the new node's.
   */
  function showFlags(node, prefix, blankIs) {
    var defaults = node._def.defaults;
    Object.keys(defaults).forEach(function (k) {
      if (typeof defaults[k].value !== 'boolean') return;
      var on = flagOf(node[k], blankIs && k in blankIs ? blankIs[k] : defaults[k].value);
      if (on !== undefined) $('#' + prefix + '-' + k).prop('checked', on);
    });
  }

  /** A validator for one of `allowed`, read trimmed as the runtime does (blank allowed: the runtime takes the default; an environment variable too). */
  function oneOf(t, allowed, key) {
    return function (v, opt) { return check(t, blank(v) || isEnvVar(v) || allowed.indexOf(String(v).trim()) >= 0, opt, key); };
  }

  /** A validator for a text field: an object that is no list is refused at run time. */
  function text(t) {
    return function (v, opt) { return check(t, isText(v), opt, 'text'); };
  }

  /** A validator for a class filter as lib/detect-config classList reads it: text, a class id, or a list of names and ids. */
  function classes(t) {
    function isId(c) { return typeof c === 'number' && Number.isInteger(c) && c >= 0; }
    return function (v, opt) {
      var ok = blank(v) || typeof v === 'string' || isId(v) || (Array.isArray(v) && v.every(function (c) { return typeof c === 'string' || isId(c); }));
      return check(t, ok, opt, 'classes');
    };
  }

  /** As lib/config/fields CONTROL_CHAR: text of at most `max` characters once trimmed, on one line, no control characters. */
  function isLine(v, max) {
    var s = String(v === undefined || v === null ? '' : v).trim();
    return s.length <= max && !/[\u0000-\u001f\u007f]/.test(s);
  }

  /** As lib/config/fields checkPath: a path setting is at most 4096 characters (PATH_MAX), on one line. */
  function isPath(v) {
    return isLine(v, 4096);
  }

  /** A validator for a program passed as one argument: must not look like an option, and is a path (isPath). */
  function notOption(t) {
    return function (v, opt) { return check(t, isText(v) && (blank(v) || (String(v).trim().charAt(0) !== '-' && isPath(v))), opt, 'notOption'); };
  }

  /** The palette and workspace labels every node of the package uses. */
  function labels(t) {
    return {
      label: function () { return this.name || t('paletteLabel'); },
      labelStyle: function () { return this.name ? 'node_label_italic' : ''; },
      paletteLabel: function () { return t('paletteLabel'); },
    };
  }

  window.YoloEdgeEditor = { blank: blank, numberOf: numberOf, isText: isText, text: text, classes: classes, catalog: catalog, check: check, inRange: inRange, numberOr: numberOr, defaultOf: defaultOf, showDefaults: showDefaults, showFlags: showFlags, flag: flag, oneOf: oneOf, notOption: notOption, isPath: isPath, isLine: isLine, isEnvVar: isEnvVar, labels: labels };
})();
