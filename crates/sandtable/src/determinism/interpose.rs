//! The C library's clock, randomness and thread-creation symbols, defined in the binary so that
//! calls from Rust code (std's `Instant::now`, `SystemTime::now`, `thread::spawn`, a crate
//! calling `libc::getrandom`) reach [`super`] first. Outside a simulated poll each is a plain
//! forward to the real symbol: one thread-local read, then an indirect call. Nothing here
//! allocates or locks on that path; the real symbols are found with `dlsym(RTLD_NEXT, ..)` at
//! load time (an `.init_array` constructor) or, failing that, on first use.

use std::ffi::{c_char, c_int, c_long, c_uint, c_void, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};

/// `struct timespec` on 64-bit Linux.
#[repr(C)]
pub struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// A thread's entry point, as `pthread_create` takes it.
type Start = Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>;

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn syscall(number: c_long, ...) -> c_long;
}

/// glibc's `RTLD_NEXT`: the next definition after the calling object's, i.e. libc's own.
const RTLD_NEXT: *mut c_void = -1isize as *mut c_void;

#[cfg(target_arch = "x86_64")]
const SYS_CLOCK_GETTIME: c_long = 228;
#[cfg(target_arch = "x86_64")]
const SYS_GETRANDOM: c_long = 318;
// The generic syscall table (aarch64, riscv64, loongarch64).
#[cfg(not(target_arch = "x86_64"))]
const SYS_CLOCK_GETTIME: c_long = 113;
#[cfg(not(target_arch = "x86_64"))]
const SYS_GETRANDOM: c_long = 278;

const EAGAIN: c_int = 11;
const EIO: c_int = 5;

/// The real definition of a symbol, resolved once.
struct Real {
    name: &'static CStr,
    ptr: AtomicPtr<c_void>,
}

impl Real {
    const fn new(name: &'static CStr) -> Real {
        Real {
            name,
            ptr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The real symbol's address (null where libc has none: a raw syscall stands in).
    #[inline]
    fn get(&self) -> *mut c_void {
        let p = self.ptr.load(Ordering::Relaxed);
        if !p.is_null() {
            return p;
        }
        self.resolve()
    }

    #[cold]
    fn resolve(&self) -> *mut c_void {
        // SAFETY: `name` is a NUL-terminated C string; RTLD_NEXT is valid from the executable.
        let p = unsafe { dlsym(RTLD_NEXT, self.name.as_ptr()) };
        self.ptr.store(p, Ordering::Relaxed);
        p
    }
}

static CLOCK_GETTIME: Real = Real::new(c"clock_gettime");
static GETRANDOM: Real = Real::new(c"getrandom");
static GETENTROPY: Real = Real::new(c"getentropy");
static PTHREAD_CREATE: Real = Real::new(c"pthread_create");

/// Resolves every real symbol before `main`, while the process has one thread.
extern "C" fn resolve_all() {
    for real in [&CLOCK_GETTIME, &GETRANDOM, &GETENTROPY, &PTHREAD_CREATE] {
        real.get();
    }
}

#[used]
#[link_section = ".init_array"]
static RESOLVE_AT_LOAD: extern "C" fn() = resolve_all;

/// Keeps this object file in every link that uses the executor: the linker pulls archive
/// members only for symbols something references, and the libc symbols above are referenced
/// only by libstd, which is linked after this crate.
#[inline(never)]
pub(crate) fn linked() -> usize {
    clock_gettime as *const () as usize
        ^ getrandom as *const () as usize
        ^ getentropy as *const () as usize
        ^ pthread_create as *const () as usize
}

/// `clock_gettime(2)`: the virtual clock in `Simulate` mode, else the real one.
///
/// # Safety
/// As the C function: `tp` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(clock: c_int, tp: *mut Timespec) -> c_int {
    if let Some((tv_sec, tv_nsec)) = super::on_clock(clock) {
        if !tp.is_null() {
            tp.write(Timespec { tv_sec, tv_nsec });
        }
        return 0;
    }
    let real = CLOCK_GETTIME.get();
    if real.is_null() {
        return syscall(SYS_CLOCK_GETTIME, clock as c_long, tp) as c_int;
    }
    let real: unsafe extern "C" fn(c_int, *mut Timespec) -> c_int = std::mem::transmute(real);
    real(clock, tp)
}

/// `getrandom(2)`: seeded bytes in `Simulate` mode, else the OS's.
///
/// # Safety
/// As the C function: `buf` must be valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn getrandom(buf: *mut c_void, len: usize, flags: c_uint) -> isize {
    if !buf.is_null() && len > 0 {
        let bytes = std::slice::from_raw_parts_mut(buf.cast::<u8>(), len);
        if super::on_random(bytes) {
            return len as isize;
        }
    }
    let real = GETRANDOM.get();
    if real.is_null() {
        return syscall(SYS_GETRANDOM, buf, len, flags as c_long) as isize;
    }
    let real: unsafe extern "C" fn(*mut c_void, usize, c_uint) -> isize = std::mem::transmute(real);
    real(buf, len, flags)
}

/// `getentropy(3)`: as `getrandom` (glibc's own calls `getrandom` internally, out of reach).
///
/// # Safety
/// As the C function: `buf` must be valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn getentropy(buf: *mut c_void, len: usize) -> c_int {
    if !buf.is_null() && len > 0 && len <= 256 {
        let bytes = std::slice::from_raw_parts_mut(buf.cast::<u8>(), len);
        if super::on_random(bytes) {
            return 0;
        }
    }
    let real = GETENTROPY.get();
    if real.is_null() {
        return if syscall(SYS_GETRANDOM, buf, len, 0 as c_long) == len as c_long {
            0
        } else {
            -1
        };
    }
    let real: unsafe extern "C" fn(*mut c_void, usize) -> c_int = std::mem::transmute(real);
    real(buf, len)
}

/// `pthread_create(3)`: reported in the checking modes, always created.
///
/// # Safety
/// As the C function.
#[no_mangle]
pub unsafe extern "C" fn pthread_create(
    thread: *mut u64,
    attr: *const c_void,
    start: Start,
    arg: *mut c_void,
) -> c_int {
    super::on_thread();
    let real = PTHREAD_CREATE.get();
    if real.is_null() {
        return if start.is_some() { EAGAIN } else { EIO };
    }
    let real: unsafe extern "C" fn(*mut u64, *const c_void, Start, *mut c_void) -> c_int =
        std::mem::transmute(real);
    real(thread, attr, start, arg)
}
