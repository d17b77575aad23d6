package models

import (
	"errors"
	"fmt"
)

// Error codes. Every error a caller may show to a user carries one of these.
const (
	EInvalid   = "invalid"   // the input is wrong; the message says how
	ENotFound  = "not_found" // the thing asked for does not exist
	EForbidden = "forbidden" // the actor lacks the role or the scope
	EConflict  = "conflict"  // the state changed under the caller, or a duplicate
	EInternal  = "internal"  // anything else; never shown verbatim
)

// Error is a domain error whose Message is safe to show a user (in Chinese).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("models: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EInternal when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// InternalMessage is what a user sees for an error that is not theirs to fix.
const InternalMessage = "系统繁忙，请稍后再试"

// ErrorMessage returns the user-facing message of err: the *Error's own for
// domain errors, a generic one for everything else.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return InternalMessage
}
