package net.driploop.system.e2e;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives test classes the one {@link SystemStack} of the test run: started by the first class that asks for it,
 * shared by all, stopped when the run ends (JUnit closes what the root store holds). A stack that failed to
 * start fails every later class at once instead of being started again.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(E2eStack.Resolver.class)
@interface E2eStack {

    /** Resolves {@link SystemStack} parameters (constructor, {@code @BeforeAll}, tests). */
    final class Resolver implements ParameterResolver {

        private static RuntimeException failure;

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == SystemStack.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            synchronized (Resolver.class) {
                if (failure != null) {
                    throw new IllegalStateException("the system stack did not start (see the first failure)", failure);
                }
                try {
                    return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                            .computeIfAbsent(SystemStack.class, k -> SystemStack.start(), SystemStack.class);
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                }
            }
        }
    }
}
