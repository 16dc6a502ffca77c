/**
 * The objects the engine builds (response trees, entity representations) have
 * no `Object.prototype`, as stock's `Object.create(null)` ones: a field called
 * `constructor`, `toString` or `__proto__` is just a field, never an inherited
 * member or the prototype setter. But `Object.create(null)` gives V8
 * dictionary-mode objects: hash tables several times the size of an ordinary
 * object, slower to fill, and serialised by `JSON.stringify`'s slow path. An
 * object made by a constructor whose prototype is itself null-prototyped keeps
 * fast properties and still inherits nothing.
 */
type ResultObject = Record<string, unknown>;

const ResponseObject = function ResponseObject() {} as unknown as new () => ResultObject;
ResponseObject.prototype = Object.create(null) as object;
Object.freeze(ResponseObject.prototype);

/** A new empty object that inherits no properties (see above). */
export function responseObject(): ResultObject {
  return new ResponseObject();
}
