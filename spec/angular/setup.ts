// Angular's npm packages are partially compiled: their declarations are finished at load time by
// the JIT compiler (an app's build runs the Angular linker instead).
import '@angular/compiler';
