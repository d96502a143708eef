package httpapi

// OpenAPISource is the checked-in route descriptions, for the test that
// holds them to the routes the server registers.
var OpenAPISource = openapiSource
