/**
 * The "New container" form: what it says at each field as the user types, the request body
 * it makes, and the server's refusals in the form's own words.
 */
import {
  EMPTY_FORM,
  IImage,
  INewContainerValues,
  inFormWords,
  parseSize,
  toSpec,
  validate
} from '../containerform';

const IMAGES: IImage[] = [
  { id: 'sha256:1', tags: ['busybox:latest'], size: 1, created: 0 }
];

function form(values: Partial<INewContainerValues>): INewContainerValues {
  return { ...EMPTY_FORM, image: 'busybox:latest', ...values };
}

describe('parseSize', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1.5g', 1.5 * 1024 ** 3],
    ['64MiB', 64 * 1024 ** 2],
    ['100', 100],
    [' 2 k ', 2048],
    ['lots', null],
    ['-1', null]
  ])('%s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('validate', () => {
  it('accepts a plain form', () => {
    expect(validate(form({}), IMAGES)).toEqual({});
  });

  it('says at "Memory + swap" that it must be at least the memory (128m and 64m)', () => {
    const errors = validate(form({ memory: '128m', swap: '64m' }), IMAGES);
    expect(Object.keys(errors)).toEqual(['swap']);
    expect(errors.swap).toContain('At least the memory limit (128m)');
  });

  it('takes memory + swap equal to or above the memory, and -1', () => {
    expect(validate(form({ memory: '128m', swap: '128m' }), IMAGES)).toEqual(
      {}
    );
    expect(validate(form({ memory: '128m', swap: '1g' }), IMAGES)).toEqual({});
    expect(validate(form({ memory: '128m', swap: '-1' }), IMAGES)).toEqual({});
  });

  it('wants a memory limit with a swap limit, and at least 6m of memory', () => {
    expect(validate(form({ swap: '256m' }), IMAGES).swap).toContain(
      'Set the memory limit too'
    );
    expect(validate(form({ memory: '1m' }), IMAGES).memory).toContain('6m');
    expect(validate(form({ memory: 'lots' }), IMAGES).memory).toContain(
      'A size'
    );
  });

  it('checks labels and the network', () => {
    expect(validate(form({ labels: 'team=data\nowner' }), IMAGES).labels).toBe(
      '"owner" is not KEY=value.'
    );
    expect(validate(form({ labels: 'a=1\n\nb=' }), IMAGES)).toEqual({});
    expect(validate(form({ network: 'my-net' }), IMAGES)).toEqual({});
    expect(validate(form({ network: 'container:db-1' }), IMAGES)).toEqual({});
    expect(validate(form({ network: 'bad net' }), IMAGES).network).toContain(
      "network's name"
    );
  });

  it('knows the local images only', () => {
    expect(validate(form({ image: 'nginx' }), IMAGES).image).toContain(
      'not pulled'
    );
  });
});

describe('toSpec', () => {
  it('sends labels as KEY=value lines and the network', () => {
    const spec = toSpec(
      form({ labels: ' team=data \n\nowner=me', network: ' my-net ' })
    );
    expect(spec.labels).toEqual(['team=data', 'owner=me']);
    expect(spec.network).toBe('my-net');
  });

  it('leaves out what is empty', () => {
    const spec = toSpec(form({}));
    expect(spec).not.toHaveProperty('labels');
    expect(spec).not.toHaveProperty('network');
    expect(spec).not.toHaveProperty('memswap_limit');
  });
});

describe('inFormWords', () => {
  it("puts the form's names for the wire's", () => {
    expect(
      inFormWords(
        "'memswap_limit': memory + swap: set mem_limit, and at least as much here."
      )
    ).toBe(
      '“Memory + swap”: memory + swap: set mem_limit, and at least as much here.'
    );
    expect(inFormWords("'network': the host's network is not allowed")).toBe(
      "“Network”: the host's network is not allowed"
    );
    expect(inFormWords("'unknown_thing': x")).toBe("'unknown_thing': x");
  });
});
