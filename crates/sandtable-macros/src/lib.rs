//! `#[sandtable::test]`: a test function run on many seeds by the Sandtable harness.
//!
//! Use it through the `sandtable` crate (`#[sandtable::test]`); its documentation is there.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, Expr, ExprLit, FnArg, ItemFn, Lit, Meta, Token};

/// Runs the function as a test on many seeds; see `sandtable::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args.into(), item.into()) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let func: ItemFn = syn::parse2(item)?;
    let mut config = quote! { ::sandtable::CheckConfig::new() };
    let mut node = quote! { "main" };
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    for meta in metas {
        let name = meta
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match (name.as_str(), &meta) {
            ("seeds", Meta::NameValue(nv)) => {
                let v = &nv.value;
                config = quote! { #config.seeds(#v) };
            }
            ("seed", Meta::NameValue(nv)) => {
                let v = &nv.value;
                config = quote! { #config.seed(#v) };
            }
            ("node", Meta::NameValue(nv)) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => node = quote! { #s },
                other => {
                    return Err(Error::new_spanned(
                        other,
                        "`node` takes a string literal: the name of the node the test runs on",
                    ))
                }
            },
            ("determinism_check", Meta::Path(_)) => {
                config = quote! { #config.determinism_check(true) };
            }
            ("config", Meta::NameValue(nv)) => {
                let v = &nv.value;
                config = quote! { (#v)(#config) };
            }
            _ => {
                return Err(Error::new_spanned(
                    meta,
                    "unknown argument: expected `seeds = a..b`, `seed = n`, `node = \"name\"`, \
                     `determinism_check` or `config = |c| c...`",
                ))
            }
        }
    }

    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let mut inner = func.clone();
    inner.attrs.clear();
    inner.sig.ident = syn::Ident::new("__sandtable_body", Span::call_site());
    if !func.sig.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &func.sig.generics,
            "a #[sandtable::test] function cannot be generic",
        ));
    }
    let takes_sim =
        match func.sig.inputs.len() {
            0 => false,
            1 if matches!(func.sig.inputs.first(), Some(FnArg::Typed(_))) => true,
            _ => return Err(Error::new_spanned(
                &func.sig.inputs,
                "a #[sandtable::test] function takes no argument (an async fn run on a node) or \
                 one `&Sim` (a function that sets up and drives the simulation itself)",
            )),
        };
    let run =
        match (func.sig.asyncness.is_some(), takes_sim) {
            (true, false) => quote! {
                let out = sim.block_on(#node, __sandtable_body())?;
                ::sandtable::TestOutcome::into_result(out)
            },
            (false, true) => quote! {
                ::sandtable::TestOutcome::into_result(__sandtable_body(sim))
            },
            (true, true) => {
                return Err(Error::new_spanned(
                    &func.sig,
                    "an async #[sandtable::test] function runs on a node and takes no argument; \
                 to drive the simulation yourself, write a plain `fn(sim: &Sim)`",
                ))
            }
            (false, false) => return Err(Error::new_spanned(
                &func.sig,
                "a #[sandtable::test] function is either `async fn name()` (run on a node of a \
                 fresh simulation per seed) or `fn name(sim: &Sim)`",
            )),
        };
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() {
            #inner
            ::sandtable::check(#config, |sim: &::sandtable::Sim| -> ::core::result::Result<(), ::sandtable::BoxError> {
                #run
            });
        }
    })
}
